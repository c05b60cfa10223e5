package dev.mayday.sdk;

/** A failed SDK call: the C ABI's status (gRPC's code numbers, or 100+) and its message. */
public final class MaydayException extends Exception {
  public static final int INVALID_ARGUMENT = 3;
  public static final int NOT_FOUND = 5;
  /** A wrong cancel PIN (or current PIN), or a token that is not a member's. */
  public static final int PERMISSION_DENIED = 7;
  public static final int FAILED_PRECONDITION = 9;
  public static final int UNAVAILABLE = 14;
  public static final int UNAUTHENTICATED = 16;
  public static final int UNTRUSTED_SERVER = 101;

  private final int status;

  public MaydayException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** The mayday_status of the call (MaydayException.UNAVAILABLE, ...). */
  public int status() {
    return status;
  }
}
