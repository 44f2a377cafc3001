# the kit built once: mvn -B -f kits/java/pom.xml package (its jar, and its libraries in target/lib)
KIT=kits/java/target
javac -cp "$KIT/wostream-subscriber-0.1.0.jar:$KIT/lib/*" -d classes Subscriber.java
java -cp "classes:$KIT/wostream-subscriber-0.1.0.jar:$KIT/lib/*" Subscriber
