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
 *   <li>The callback's identity is {@code <name>@<this client's router category>}. Today any name is accepted;
 *       the contract will require the session's own name ({@code session.ice_getIdentity().name}).
 *   <li>Batches are opted into today by registering a servant that implements {@code BatchSubscriber} (wostream
 *       asks {@code ice_isA} once per registration); the contract will add an explicit
 *       {@code subscribeBatches(BatchSubscriber* cb)}.
 * </ul>
 */
final class Registration {
  /** The callback's name while the contract accepts any. */
  static final String CALLBACK_NAME = "subscriber";

  private Registration() {}

  static Identity callbackIdentity(SessionPrx session, String routerCategory) {
    // when the contract requires it: return new Identity(session.ice_getIdentity().name, routerCategory);
    return new Identity(CALLBACK_NAME, routerCategory);
  }

  static void register(SubscriberSessionPrx session, ObjectPrx callback, boolean batches)
      throws SubscribeRefused {
    // batches: the servant is a BatchSubscriber (Servants.of); with the explicit opt-in this becomes
    // if (batches) session.subscribeBatches(BatchSubscriberPrx.uncheckedCast(callback)); else ...
    session.subscribe(SubscriberPrx.uncheckedCast(callback));
  }
}
