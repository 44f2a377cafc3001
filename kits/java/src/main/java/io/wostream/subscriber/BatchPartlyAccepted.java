package io.wostream.subscriber;

/**
 * Thrown by a {@link BatchHandler} that applied the first {@link #accepted()} events of its batch and cannot take
 * the rest now. The kit turns it into the contract's {@code BatchRefused}.
 */
public class BatchPartlyAccepted extends Exception {
  private static final long serialVersionUID = 1L;
  private final int accepted;

  public BatchPartlyAccepted(int accepted, String reason) {
    super(reason);
    if (accepted < 0) {
      throw new IllegalArgumentException("accepted must be >= 0");
    }
    this.accepted = accepted;
  }

  /** How many events, from the first, were applied. */
  public int accepted() {
    return accepted;
  }
}
