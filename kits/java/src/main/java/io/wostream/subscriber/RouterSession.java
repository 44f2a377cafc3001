package io.wostream.subscriber;

import com.zeroc.Glacier2.CannotCreateSessionException;
import com.zeroc.Glacier2.PermissionDeniedException;
import com.zeroc.Glacier2.RouterPrx;
import com.zeroc.Glacier2.SessionPrx;
import com.zeroc.Ice.ACMHeartbeat;
import com.zeroc.Ice.Communicator;
import com.zeroc.Ice.Connection;
import com.zeroc.Ice.EndpointSelectionType;
import com.zeroc.Ice.ObjectAdapter;
import com.zeroc.Ice.ObjectPrx;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import wostream.SubscribeRefused;
import wostream.SubscriberSessionPrx;

/**
 * One live Glacier2 session with its callback registered, in ZeroC's callback idiom: log in, heartbeat at the
 * router's ACM timeout, add the callback to an object adapter created with the router under this client's router
 * category, then {@code subscribe}. It ends when the connection to the router closes (router gone, session ended
 * by wostream) or when {@link #close()} is called.
 */
final class RouterSession implements AutoCloseable {
  private final Communicator communicator;
  private final RouterPrx router;
  private final SubscriberSessionPrx session;
  private final String routerEndpoint;
  private final CountDownLatch closed = new CountDownLatch(1);

  private RouterSession(
      Communicator communicator, RouterPrx router, SubscriberSessionPrx session, String routerEndpoint) {
    this.communicator = communicator;
    this.router = router;
    this.session = session;
    this.routerEndpoint = routerEndpoint;
  }

  /** Connects to the first router that answers and registers the callback; the reason why not, if not. */
  static RouterSession open(SubscriberConfig config, PemTrust trust, Delivery delivery)
      throws SubscriberException {
    Communicator communicator = Communicators.create(config, trust);
    RouterPrx router = null;
    try {
      int timeout = (int) config.invocationTimeout().toMillis();
      router =
          RouterPrx.uncheckedCast(communicator.stringToProxy(config.routerProxy()))
              .ice_endpointSelection(EndpointSelectionType.Ordered)
              .ice_invocationTimeout(timeout);
      communicator.setDefaultRouter(router); // the session proxy and the callback go through it
      SessionPrx glacierSession = router.createSession(config.baseCode(), config.secret());
      SubscriberSessionPrx session =
          SubscriberSessionPrx.uncheckedCast(glacierSession).ice_invocationTimeout(timeout);
      Connection connection = router.ice_getCachedConnection();
      int acm = router.getACMTimeout();
      if (acm > 0) {
        // Glacier2 drops a session that stays silent for its timeout: heartbeat always, at its pace
        connection.setACM(OptionalInt.of(acm), Optional.empty(), Optional.of(ACMHeartbeat.HeartbeatAlways));
      }
      String category = router.getCategoryForClient();
      ObjectAdapter adapter = communicator.createObjectAdapterWithRouter("", router);
      ObjectPrx callback =
          adapter.add(Servants.of(delivery), Registration.callbackIdentity(glacierSession, category));
      adapter.activate(); // before subscribe: wostream asks the callback ice_isA at once
      Registration.register(session, callback, delivery.batches());
      RouterSession live = new RouterSession(communicator, router, session, describe(connection));
      connection.setCloseCallback(c -> live.closed.countDown());
      return live;
    } catch (PermissionDeniedException e) {
      communicator.destroy();
      throw Refusals.permissionDenied(config, e.reason, e);
    } catch (CannotCreateSessionException e) {
      communicator.destroy();
      throw Refusals.cannotCreateSession(config, e.reason, e);
    } catch (SubscribeRefused e) {
      destroyQuietly(communicator, router);
      throw new CallbackRefusedException(e.reason, e);
    } catch (com.zeroc.Ice.LocalException e) {
      communicator.destroy();
      throw Refusals.local(config, trust, e);
    } catch (RuntimeException e) {
      communicator.destroy();
      throw e;
    }
  }

  /** host:port of the router at the other end of the connection. */
  private static String describe(Connection connection) {
    for (com.zeroc.Ice.ConnectionInfo info = connection.getInfo(); info != null; info = info.underlying) {
      if (info instanceof com.zeroc.Ice.IPConnectionInfo ip) {
        return ip.remoteAddress + ":" + ip.remotePort;
      }
    }
    return connection.toString();
  }

  /** The endpoint of the router this session lives in. */
  String routerEndpoint() {
    return routerEndpoint;
  }

  SubscriberSessionPrx session() {
    return session;
  }

  boolean isClosed() {
    return closed.getCount() == 0;
  }

  /** Waits until the connection to the router closes; false if {@code millis} passed first. */
  boolean awaitClosed(long millis) throws InterruptedException {
    return closed.await(millis, TimeUnit.MILLISECONDS);
  }

  /** Ends the session at the router (so wostream stops pushing at once) and releases everything. */
  @Override
  public void close() {
    destroyQuietly(communicator, isClosed() ? null : router);
    closed.countDown();
  }

  /** Destroys the session through {@code router} if given (never dials a router anew), then the communicator. */
  private static void destroyQuietly(Communicator communicator, RouterPrx router) {
    try {
      if (router != null) {
        router.destroySession();
      }
    } catch (com.zeroc.Glacier2.SessionNotExistException | com.zeroc.Ice.LocalException e) {
      // already gone: nothing to end
    } finally {
      communicator.destroy();
    }
  }
}
