package io.wostream.subscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The session's life: a subscriber that receives nothing stays connected past the router's session timeout
 * (the kit heartbeats at the router's ACM pace), and {@code close()} ends the session at the router so wostream
 * sees the subscriber offline at once (its web page's {@code online}).
 */
class SessionTest {
  @Test
  void aQuietSessionOutlivesTheRoutersSessionTimeoutAndCloseEndsItAtTheRouter() throws Exception {
    KitStack.assumeRunning();
    long timeout = Long.parseLong(KitStack.env("WOSTREAM_KIT_SESSION_TIMEOUT"));
    List<String> story = new CopyOnWriteArrayList<>();
    SubscriberListener listener =
        new SubscriberListener() {
          @Override
          public void onSubscribed(String router) {
            story.add("subscribed");
          }

          @Override
          public void onDisconnected(String router) {
            story.add("lost " + router);
          }
        };
    WostreamSubscriber sub = WostreamSubscriber.start(KitStack.config("JREFUSE").listener(listener).build(), ev -> {});
    try {
      KitStack.await(() -> KitStack.status("JREFUSE").startsWith("online true"), Duration.ofSeconds(30), "JREFUSE online");
      // quiet for more than twice the router's session timeout: only heartbeats keep the session
      long end = System.nanoTime() + Duration.ofSeconds(2 * timeout + 1).toNanos();
      while (System.nanoTime() < end) {
        assertTrue(sub.isSubscribed(), "still subscribed");
        Thread.sleep(100);
      }
      sub.session().orElseThrow().ice_ping(); // the session object answers through the router
      assertEquals(List.of("subscribed"), story, "never lost the session");
    } finally {
      sub.close();
    }
    KitStack.await(() -> KitStack.status("JREFUSE").startsWith("online false"), Duration.ofSeconds(10), "JREFUSE offline");
    assertEquals(List.of("subscribed"), story, "a close is not a loss: no reconnect");
  }
}
