package io.wostream.subscriber;

import com.zeroc.Glacier2.SessionPrx;
import com.zeroc.Ice.Identity;
import com.zeroc.Ice.ObjectPrx;
import wostream.BatchSubscriberPrx;
import wostream.SubscribeRefused;
import wostream.SubscriberPrx;
import wostream.SubscriberSessionPrx;

/**
 * How the callback is named and registered, as {@code slice/wostream.ice} requires:
 *
 * <ul>
 *   <li>The callback's identity is {@code <this session's name>@<this client's router category>}: the name binds
 *       the callback to the session that registers it, so no other session can register or block it; wostream
 *       refuses any other name.
 *   <li>Batches are an explicit choice: {@code subscribeBatches} with a {@code BatchSubscriber} proxy. A callback
 *       registered with {@code subscribe} gets one event per call, whatever its servant answers to {@code ice_isA}.
 * </ul>
 */
final class Registration {
  private Registration() {}

  static Identity callbackIdentity(SessionPrx session, String routerCategory) {
    return new Identity(session.ice_getIdentity().name, routerCategory);
  }

  static void register(SubscriberSessionPrx session, ObjectPrx callback, boolean batches)
      throws SubscribeRefused {
    if (batches) {
      session.subscribeBatches(BatchSubscriberPrx.uncheckedCast(callback));
    } else {
      session.subscribe(SubscriberPrx.uncheckedCast(callback));
    }
  }
}
