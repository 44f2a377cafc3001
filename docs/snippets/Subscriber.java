import io.wostream.subscriber.Event;
import io.wostream.subscriber.ResyncRefusedException;
import io.wostream.subscriber.SubscriberConfig;
import io.wostream.subscriber.SubscriberStatus;
import io.wostream.subscriber.WostreamSubscriber;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A session from connect to resync with the Java kit: receive an event, ask the status, resync its ticket. */
public class Subscriber {
  public static void main(String[] args) throws Exception {
    SubscriberConfig config = SubscriberConfig.builder()
        .router(System.getenv("WOSTREAM_ROUTER"))             // "ssl -h router.example.com -p 4063"
        .caFile(Path.of(System.getenv("WOSTREAM_CA")))         // the CA the operator gave you (PEM)
        .baseCode(System.getenv("WOSTREAM_BASE_CODE"))
        .secret(System.getenv("WOSTREAM_SECRET"))              // never on a command line
        .build();
    BlockingQueue<Event> received = new LinkedBlockingQueue<>();
    // the handler: apply the event to your system (here: hand it to the main thread); return to acknowledge
    // it, throw to have it pushed again later
    try (WostreamSubscriber subscriber = WostreamSubscriber.start(config, received::add)) {
      System.out.println("subscribed as " + config.baseCode() + " through " + subscriber.currentRouter());
      Event first = next(received, 120);

      // the status is at most a few seconds old: ask until it names the event just acknowledged
      SubscriberStatus status = subscriber.status();
      for (int i = 0; i < 60 && !status.lastDeliveredEventId().equals(first.eventId()); i++) {
        Thread.sleep(500);
        status = subscriber.status();
      }
      System.out.printf("status: %s, backlog %d, last delivered %s, dead %d, retrying %d%n", status.state(),
          status.backlog(), status.lastDeliveredEventId(), status.deadLetters(), status.retrying());

      int queued = subscriber.resyncTicket(first.serviceOrderId());
      System.out.printf("resync of ticket %s: %d event(s) queued%n", first.serviceOrderId(), queued);
      next(received, 60);                                   // the same eventId again, with isResync() true

      try {
        subscriber.resyncTicket(first.serviceOrderId());
      } catch (ResyncRefusedException e) {                  // one resync a minute
        Duration wait = e.retryAfter().orElse(Duration.ZERO);
        System.out.println("second resync refused: " + e.reason() + " (retry after " + wait.toSeconds() + " s)");
      }
    }
    System.out.println("session closed");
  }

  static Event next(BlockingQueue<Event> received, int seconds) throws InterruptedException {
    Event event = received.poll(seconds, TimeUnit.SECONDS);
    if (event == null) {
      throw new IllegalStateException("no event within " + seconds + " s");
    }
    System.out.printf("event %s: changeId %s, ticket %s, attempt %d%s%n", event.eventId(), event.changeId(),
        event.serviceOrderId(), event.attempt(), event.isResync() ? ", resync" : "");
    return event;
  }
}
