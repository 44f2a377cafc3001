# Ice for C++ from Debian: apt-get install zeroc-ice-compilers libzeroc-ice-dev nlohmann-json3-dev g++
slice2cpp -I/usr/share/ice/slice wostream.ice      # wostream.h and wostream.cpp, from the contract
g++ -std=c++17 -DICE_CPP11_MAPPING -I. -o subscriber subscriber.cpp wostream.cpp -lGlacier2++11 -lIce++11 -lpthread
./subscriber
