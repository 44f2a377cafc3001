package io.wostream.subscriber;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import wostream.SubscriberSessionPrx;

/**
 * A subscriber to wostream's events: connects through the routers, keeps the session alive, reconnects with
 * back-off (failing over to the next router in the list), and hands each event to your handler once.
 *
 * <pre>{@code
 * SubscriberConfig config = SubscriberConfig.builder()
 *     .router("ssl -h wostream.example.com -p 4063")
 *     .caFile(Path.of("ca.pem"))
 *     .baseCode("HRZDWYWHXT")
 *     .secret(System.getenv("WOSTREAM_SECRET"))
 *     .build();
 * try (WostreamSubscriber sub = WostreamSubscriber.start(config, event -> store(event))) {
 *   ... // events arrive on the kit's thread until close()
 * }
 * }</pre>
 *
 * {@code start} returns once the callback is registered, or throws why it cannot be: retrying a wrong secret or
 * an untrusted router cannot help, so those fail at once; an unreachable router is retried until the start
 * timeout. After that the kit reconnects on its own for as long as it runs, and tells its {@link
 * SubscriberListener}.
 */
public final class WostreamSubscriber implements AutoCloseable {
  private final SubscriberConfig config;
  private final PemTrust trust;
  private final Delivery delivery;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private volatile RouterSession current;
  private volatile SubscriberException gaveUp;
  private Thread keeper;

  private WostreamSubscriber(SubscriberConfig config, Delivery delivery) {
    this.config = config;
    this.trust = PemTrust.fromPem(config.caFile());
    this.delivery = delivery;
  }

  /** Subscribes with one event per call. */
  public static WostreamSubscriber start(SubscriberConfig config, EventHandler handler)
      throws SubscriberException, InterruptedException {
    return new WostreamSubscriber(config, Delivery.ofEvents(handler, config.seenEvents())).begin();
  }

  /** Subscribes with batches: several consecutive events per call (explicit opt-in). */
  public static WostreamSubscriber startBatches(SubscriberConfig config, BatchHandler handler)
      throws SubscriberException, InterruptedException {
    return new WostreamSubscriber(config, Delivery.ofBatches(handler, config.seenEvents())).begin();
  }

  private WostreamSubscriber begin() throws SubscriberException, InterruptedException {
    long deadline = System.nanoTime() + config.startTimeout().toNanos();
    try {
      current = connect(deadline);
    } catch (SubscriberException | InterruptedException | RuntimeException e) {
      stopping.countDown();
      throw e;
    }
    config.listener().onSubscribed(current.routerEndpoint());
    keeper = new Thread(this::keepSubscribed, "wostream-subscriber-" + config.baseCode());
    keeper.setDaemon(true);
    keeper.start();
    return this;
  }

  /** No deadline: the reconnect loop retries for as long as the kit runs. */
  private static final long FOREVER = Long.MAX_VALUE;

  /**
   * Connects, retrying what may succeed later with back-off until {@code deadline} (System.nanoTime, or
   * {@link #FOREVER}), and throwing at once what cannot.
   */
  private RouterSession connect(long deadline) throws SubscriberException, InterruptedException {
    long wait = config.initialBackoff().toMillis();
    while (true) {
      try {
        return RouterSession.open(config, trust, delivery);
      } catch (SubscriberException e) {
        if (!e.retryable() || stopping.getCount() == 0) {
          throw e;
        }
        long pause = wait;
        if (e instanceof LoginBackoffException b) {
          pause = Math.max(pause, b.retryAfter().toMillis());
        }
        if (deadline != FOREVER && deadline - System.nanoTime() < TimeUnit.MILLISECONDS.toNanos(pause)) {
          throw e;
        }
        config.listener().onRetry(e, pause);
        if (stopping.await(pause, TimeUnit.MILLISECONDS)) {
          throw e;
        }
        wait = Math.min(wait * 2, config.maxBackoff().toMillis());
      }
    }
  }

  /** The kit's thread: waits for the connection to close, then reconnects until stopped or refused for good. */
  private void keepSubscribed() {
    try {
      while (stopping.getCount() > 0) {
        RouterSession live = current;
        if (!live.awaitClosed(200)) {
          continue;
        }
        if (stopping.getCount() == 0) {
          return;
        }
        config.listener().onDisconnected(live.routerEndpoint());
        live.close();
        RouterSession next = connect(FOREVER);
        if (stopping.getCount() == 0) {
          next.close();
          return;
        }
        current = next;
        config.listener().onSubscribed(next.routerEndpoint());
      }
    } catch (SubscriberException e) {
      if (stopping.getCount() > 0) {
        gaveUp = e;
        config.listener().onGaveUp(e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether the callback is registered through a live connection now. */
  public boolean isSubscribed() {
    RouterSession live = current;
    return live != null && !live.isClosed() && stopping.getCount() > 0;
  }

  /** Waits until subscribed (after a reconnect, say); false if {@code timeout} passed first or the kit gave up. */
  public boolean awaitSubscribed(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!isSubscribed()) {
      if (gaveUp != null || System.nanoTime() > deadline || stopping.getCount() == 0) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** host:port of the router the session lives in now. */
  public String currentRouter() {
    RouterSession live = current;
    return live == null ? "" : live.routerEndpoint();
  }

  /**
   * The live session, for operations of {@code SubscriberSession} the kit does not wrap (it wraps {@link
   * #status()}, {@link #resyncTicket} and {@link #resyncSince}); empty while reconnecting. The proxy goes through
   * the current router.
   */
  public Optional<SubscriberSessionPrx> session() {
    RouterSession live = current;
    return live == null || live.isClosed() ? Optional.empty() : Optional.of(live.session());
  }

  /**
   * What waits for this subscriber now, as wostream sees it (the session's {@code status()}): its state, backlog,
   * the oldest wait, the last event handed on, dead letters and retries. The figures are at most a few seconds
   * old: an event you just acknowledged may show as the last delivered a second or two later.
   *
   * @throws RouterUnavailableException while the kit reconnects, or if the router was lost during the call
   */
  public SubscriberStatus status() throws SubscriberException {
    SubscriberSessionPrx live = liveSession("status");
    try {
      return SubscriberStatus.of(live.status());
    } catch (com.zeroc.Ice.LocalException e) {
      throw lost("status", e);
    }
  }

  /**
   * Has wostream push again the latest event of each kind of one of your tickets, in the ticket's order, each
   * with its original eventId and {@link Event#isResync()} true; returns how many were queued (0 for a ticket
   * your subscription does not see). At most one resync per subscriber per minute (wostream's default).
   *
   * @throws ResyncRefusedException too soon ({@link ResyncRefusedException#retryAfter()} says how long to wait),
   *     or a serviceOrderId that is empty or longer than 64 characters
   * @throws RouterUnavailableException while the kit reconnects, or if the router was lost during the call
   */
  public int resyncTicket(String serviceOrderId) throws SubscriberException {
    SubscriberSessionPrx live = liveSession("resyncTicket");
    try {
      return live.resyncTicket(serviceOrderId);
    } catch (wostream.ResyncRefused e) {
      throw new ResyncRefusedException(e.reason, e);
    } catch (com.zeroc.Ice.LocalException e) {
      throw lost("resyncTicket", e);
    }
  }

  /**
   * As {@link #resyncTicket}, for every ticket of yours with an event since {@code since} (at most 7 days ago);
   * returns how many events were queued. Shares the same limit of one resync per minute.
   *
   * @throws ResyncRefusedException too soon (with the wait), or {@code since} more than 7 days ago
   * @throws RouterUnavailableException while the kit reconnects, or if the router was lost during the call
   */
  public int resyncSince(Instant since) throws SubscriberException {
    SubscriberSessionPrx live = liveSession("resyncSince");
    try {
      return live.resyncSince(since.getEpochSecond());
    } catch (wostream.ResyncRefused e) {
      throw new ResyncRefusedException(e.reason, e);
    } catch (com.zeroc.Ice.LocalException e) {
      throw lost("resyncSince", e);
    }
  }

  private SubscriberSessionPrx liveSession(String operation) throws RouterUnavailableException {
    return session()
        .orElseThrow(
            () ->
                new RouterUnavailableException(
                    "no live session for " + operation + " now (the kit is reconnecting): ask again", null));
  }

  private static RouterUnavailableException lost(String operation, com.zeroc.Ice.LocalException e) {
    return new RouterUnavailableException(
        operation + " did not reach wostream (" + e.getClass().getSimpleName() + "): ask again", e);
  }

  /** Why the kit stopped reconnecting, if it did. */
  public Optional<SubscriberException> failure() {
    return Optional.ofNullable(gaveUp);
  }

  /** How many events were skipped (and acknowledged) because their id was already applied. */
  public long duplicatesSkipped() {
    return delivery.duplicatesSkipped();
  }

  /** Ends the session at the router and stops; events not acknowledged stay with wostream for next time. */
  @Override
  public void close() {
    stopping.countDown();
    Thread k = keeper;
    if (k != null) {
      try {
        k.join(config.connectTimeout().toMillis() + config.invocationTimeout().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    RouterSession live = current;
    if (live != null) {
      live.close();
    }
  }
}
