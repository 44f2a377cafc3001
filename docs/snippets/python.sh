# Ice for Python 3.7: Debian's python3-zeroc-ice, built for Debian's own python3; elsewhere
# pip install zeroc-ice==3.7.11 (it compiles for minutes; pin 3.7: Ice 3.8 for Python has another API)
/usr/bin/python3 subscriber.py
