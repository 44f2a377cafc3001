package io.wostream.subscriber;

import com.zeroc.Glacier2.SessionPrx;
import com.zeroc.Ice.Identity;
import com.zeroc.Ice.ObjectPrx;
import wostream.SubscribeRefused;
import wostream.SubscriberPrx;
import wostream.SubscriberSessionPrx;

/**
 * How the callback is named and registered: the two things the contract is about to change, kept in one place
 * so each change is one line here.
 *
 * <ul>
 *   <li>The callback's identity is {@code <this session's name>@<this client's router category>}: the name binds
 *       the callback to the session that registers it, so no other session can register or block it.
 *   <li>Batches are opted into today by registering a servant that implements {@code BatchSubscriber} (wostream
 *       asks {@code ice_isA} once per registration); the contract will add an explicit
 *       {@code subscribeBatches(BatchSubscriber* cb)}.
 * </ul>
 */
final class Registration {
  private Registration() {}

  static Identity callbackIdentity(SessionPrx session, String routerCategory) {
    return new Identity(session.ice_getIdentity().name, routerCategory);
  }

  static void register(SubscriberSessionPrx session, ObjectPrx callback, boolean batches)
      throws SubscribeRefused {
    // batches: the servant is a BatchSubscriber (Servants.of); with the explicit opt-in this becomes
    // if (batches) session.subscribeBatches(BatchSubscriberPrx.uncheckedCast(callback)); else ...
    session.subscribe(SubscriberPrx.uncheckedCast(callback));
  }
}
