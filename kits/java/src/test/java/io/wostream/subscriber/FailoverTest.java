package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Two routers, in order: the kit uses the first while it answers; when it dies (pytest kills it), the kit logs
 * in again through the second and the events keep coming, every one once and in each ticket's order. Runs last
 * (junit-platform.properties orders classes): the first router does not come back.
 */
@Order(Integer.MAX_VALUE)
class FailoverTest {
  @Test
  void whenTheFirstRouterDiesTheEventsKeepComingThroughTheSecond() throws Exception {
    KitStack.assumeRunning();
    String first = "127.0.0.1:" + KitStack.routerPort(0);
    String second = "127.0.0.1:" + KitStack.routerPort(1);
    List<String> story = new CopyOnWriteArrayList<>();
    SubscriberListener listener =
        new SubscriberListener() {
          @Override
          public void onSubscribed(String router) {
            story.add("subscribed " + router);
          }

          @Override
          public void onDisconnected(String router) {
            story.add("lost " + router);
          }
        };
    Received received = new Received();
    try (WostreamSubscriber sub =
        WostreamSubscriber.start(KitStack.config("JFAIL").listener(listener).build(), received)) {
      assertEquals(first, sub.currentRouter(), "the first router while it answers");
      KitStack.send("failover-before");
      received.await(10, Duration.ofSeconds(30));

      KitStack.killRouter(0);
      KitStack.await(() -> sub.isSubscribed() && sub.currentRouter().equals(second), Duration.ofSeconds(30), "the kit on the second router");
      KitStack.send("failover-after");
      List<Event> got = received.await(20, Duration.ofSeconds(30));
      received.assertNoMoreThan(20, Duration.ofMillis(500));
      List<String> sent = new java.util.ArrayList<>(KitStack.eventIds("failover-before"));
      sent.addAll(KitStack.eventIds("failover-after"));
      for (String ticket : List.of("8100001", "8100002")) {
        assertEquals(
            sent.stream().filter(id -> id.startsWith(ticket + "-")).toList(),
            KitStack.idsOfTicket(got, ticket),
            "ticket " + ticket + ": every event once, in order");
      }
      assertEquals(List.of("subscribed " + first, "lost " + first, "subscribed " + second), story);
    }
  }
}
