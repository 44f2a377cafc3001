package io.wostream.subscriber;

import com.zeroc.Ice.Current;
import wostream.BatchSubscriber;
import wostream.PushRefused;
import wostream.Subscriber;

/**
 * The Ice servants the kit registers as the callback: a {@code BatchSubscriber} for a subscriber started with
 * {@link WostreamSubscriber#startBatches} (registered with {@code subscribeBatches}: see {@link Registration}),
 * a plain {@code Subscriber} otherwise.
 */
final class Servants {
  private Servants() {}

  static com.zeroc.Ice.Object of(Delivery delivery) {
    return delivery.batches() ? new Batches(delivery) : new Single(delivery);
  }

  /** One event per call. */
  private static final class Single implements Subscriber {
    private final Delivery delivery;

    Single(Delivery delivery) {
      this.delivery = delivery;
    }

    @Override
    public void push(String message, Current current) throws PushRefused {
      delivery.push(message, current.ctx);
    }
  }

  /** Several events per call; {@code push} still works (a wostream that does not batch). */
  private static final class Batches implements BatchSubscriber {
    private final Delivery delivery;

    Batches(Delivery delivery) {
      this.delivery = delivery;
    }

    @Override
    public void push(String message, Current current) throws PushRefused {
      delivery.push(message, current.ctx);
    }

    @Override
    public void pushBatch(String[] messages, Current current) throws PushRefused {
      delivery.pushBatch(messages, current.ctx);
    }
  }
}
