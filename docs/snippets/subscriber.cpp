// A session from connect to resync with Ice for C++ (C++11 mapping): receive an event, ask the status, resync
// its ticket.
#include <Glacier2/Glacier2.h>
#include <Ice/Ice.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "wostream.h"  // generated: slice2cpp wostream.ice

using namespace std::chrono_literals;

struct Received {
  std::string eventId, changeId, ticket, attempt;
  bool resync;
};

class Receiver : public wostream::Subscriber {
 public:
  void push(std::string message, const Ice::Current& current) override {
    // apply the event to your system (here: hand it to the main thread); return to acknowledge it, throw
    // wostream::PushRefused(reason) to have it pushed again later
    auto envelope = nlohmann::json::parse(message);
    auto body = nlohmann::json::parse(envelope["data"].get<std::string>());
    auto resync = current.ctx.find("resync");
    std::lock_guard<std::mutex> lock(mutex_);
    received_.push_back({current.ctx.at("eventId"), envelope["changeId"], body["serviceOrderId"],
                         current.ctx.at("attempt"), resync != current.ctx.end() && resync->second == "1"});
    arrived_.notify_all();
  }

  Received next(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!arrived_.wait_for(lock, timeout, [this] { return !received_.empty(); })) {
      throw std::runtime_error("no event in time");
    }
    auto event = received_.front();
    received_.pop_front();
    std::cout << "event " << event.eventId << ": changeId " << event.changeId << ", ticket " << event.ticket
              << ", attempt " << event.attempt << (event.resync ? ", resync" : "") << std::endl;
    return event;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Received> received_;
};

int main(int argc, char* argv[]) {
  auto properties = Ice::createProperties();
  properties->setProperty("Ice.Default.Router", std::string("wostream/router:") + std::getenv("WOSTREAM_ROUTER"));
  properties->setProperty("Ice.Plugin.IceSSL", "IceSSL:createIceSSL");
  properties->setProperty("IceSSL.CAs", std::getenv("WOSTREAM_CA"));  // the CA the operator gave you (PEM)
  properties->setProperty("IceSSL.CheckCertName", "1");
  properties->setProperty("Ice.Override.ConnectTimeout", "5000");  // fail in 5 s, not hang, if nothing greets us
  Ice::InitializationData init;
  init.properties = properties;
  try {
    Ice::CommunicatorHolder ich(argc, argv, init);
    auto communicator = ich.communicator();
    std::string baseCode = std::getenv("WOSTREAM_BASE_CODE");
    auto router = Ice::checkedCast<Glacier2::RouterPrx>(communicator->getDefaultRouter());
    auto session = Ice::uncheckedCast<wostream::SubscriberSessionPrx>(
        router->createSession(baseCode, std::getenv("WOSTREAM_SECRET")));
    // heartbeats at the router's pace, or it drops a quiet session
    router->ice_getCachedConnection()->setACM(router->getACMTimeout(), Ice::nullopt,
                                              Ice::ACMHeartbeat::HeartbeatAlways);
    auto adapter = communicator->createObjectAdapterWithRouter("", router);
    auto receiver = std::make_shared<Receiver>();
    // the callback is named after the session, in this client's router category
    Ice::Identity identity{session->ice_getIdentity().name, router->getCategoryForClient()};
    auto callback = Ice::uncheckedCast<wostream::SubscriberPrx>(adapter->add(receiver, identity));
    adapter->activate();
    session->subscribe(callback);  // one event per call (subscribeBatches: several)
    std::cout << "subscribed as " << baseCode << std::endl;

    auto first = receiver->next(120s);

    // the status is at most a few seconds old: ask until it names the event just acknowledged
    auto status = session->status();
    for (int i = 0; i < 60 && status.lastDeliveredEventId != first.eventId; i++) {
      std::this_thread::sleep_for(500ms);
      status = session->status();
    }
    std::cout << "status: " << status.state << ", backlog " << status.backlog << ", last delivered "
              << status.lastDeliveredEventId << ", dead " << status.deadLetters << ", retrying " << status.retrying
              << std::endl;

    auto queued = session->resyncTicket(first.ticket);
    std::cout << "resync of ticket " << first.ticket << ": " << queued << " event(s) queued" << std::endl;
    receiver->next(60s);  // the same eventId again, with resync=1 in the context

    try {
      session->resyncTicket(first.ticket);
    } catch (const wostream::ResyncRefused& refused) {  // one resync a minute
      std::cout << "second resync refused: " << refused.reason << std::endl;
    }
    router->destroySession();  // wostream stops pushing at once
  } catch (const Glacier2::PermissionDeniedException& e) {
    std::cerr << "refused: " << e.reason << std::endl;  // wrong baseCode or secret, or a login back-off
    return 2;
  } catch (const std::exception& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  }
  std::cout << "session closed" << std::endl;
  return 0;
}
