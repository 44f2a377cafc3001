package io.wostream.subscriber;

/**
 * Why the subscriber could not (or can no longer) receive events, in words an integrator can act on. The
 * subclasses say which: {@link #retryable()} tells whether trying again later can help (the kit's reconnect loop
 * does), or whether a person must fix the configuration first.
 */
public abstract class SubscriberException extends Exception {
  private static final long serialVersionUID = 1L;

  protected SubscriberException(String message, Throwable cause) {
    super(message, cause);
  }

  /** True when the same configuration may succeed later (the kit keeps retrying); false: fix it first. */
  public abstract boolean retryable();
}
