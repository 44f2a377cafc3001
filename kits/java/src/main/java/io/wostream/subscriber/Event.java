package io.wostream.subscriber;

import java.util.Map;
import java.util.Objects;

/**
 * One event as wostream pushed it: the envelope's fields, its stable id and how it was delivered.
 *
 * <p>The envelope is {@code {"baseCode", "dataArea", "changeId", "data"}}; {@link #data()} is the body as a JSON
 * string, exactly as the subscriber's subscription lets it through (masked fields removed, the subscriber's own
 * ids such as {@code eCommunityId} added). {@link #message()} is the whole envelope as received, for systems that
 * store or forward it untouched.
 */
public final class Event {
  private final String message;
  private final String baseCode;
  private final String dataArea;
  private final String changeId;
  private final String data;
  private final String eventId;
  private final int attempt;
  private final boolean resync;
  private final Map<String, String> context;
  private volatile String serviceOrderId; // read from data on first use

  Event(
      String message,
      Envelope envelope,
      String eventId,
      int attempt,
      boolean resync,
      Map<String, String> context) {
    this.message = message;
    this.baseCode = envelope.baseCode();
    this.dataArea = envelope.dataArea();
    this.changeId = envelope.changeId();
    this.data = envelope.data();
    this.eventId = eventId;
    this.attempt = attempt;
    this.resync = resync;
    this.context = Map.copyOf(context);
  }

  /** The envelope exactly as received (one JSON object). */
  public String message() {
    return message;
  }

  /** The envelope's {@code baseCode} (the producer's; usually empty). */
  public String baseCode() {
    return baseCode;
  }

  /** The data area (the ticket template's top-level category), e.g. {@code fwwt}. */
  public String dataArea() {
    return dataArea;
  }

  /** The kind of event, {@code "1"} to {@code "10"}. */
  public String changeId() {
    return changeId;
  }

  /** The body as a JSON string, as your subscription delivers it. */
  public String data() {
    return data;
  }

  /**
   * The ticket's id, the body's {@code serviceOrderId} (every body carries it): per-ticket order holds for the
   * events of one serviceOrderId. Empty if the body has none.
   */
  public String serviceOrderId() {
    String id = serviceOrderId;
    if (id == null) {
      id = Envelope.field(data, "serviceOrderId");
      serviceOrderId = id;
    }
    return id;
  }

  /**
   * The event's stable id: the same event pushed twice (a retry after a lost acknowledgement, a resync) has the
   * same id. Empty if wostream sent none.
   */
  public String eventId() {
    return eventId;
  }

  /** 1 for the first try, 2 for the first retry, ...; 0 if wostream sent no attempt count. */
  public int attempt() {
    return attempt;
  }

  /**
   * True for an event pushed again by a resync ({@code resync=1}): the latest event of its kind for its ticket,
   * to apply as the ticket's current state. The kit never skips these as duplicates.
   */
  public boolean isResync() {
    return resync;
  }

  /** The whole request context of the call (eventId, attempt, resync, and anything wostream adds later). */
  public Map<String, String> context() {
    return context;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Event e
        && message.equals(e.message)
        && eventId.equals(e.eventId)
        && attempt == e.attempt
        && resync == e.resync
        && context.equals(e.context);
  }

  @Override
  public int hashCode() {
    return Objects.hash(message, eventId, attempt, resync);
  }

  @Override
  public String toString() {
    return "Event[" + eventId + " changeId=" + changeId + " attempt=" + attempt + (resync ? " resync" : "") + "]";
  }
}
