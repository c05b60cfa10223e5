package dev.mayday.sdk;

/** A running watch of one case; close() cancels it and waits for its end. */
public final class Watch implements AutoCloseable {
  private long handle;

  Watch(long handle) {
    this.handle = handle;
  }

  /** Stops the watch; the listener's onEnd gets CANCELLED (1). Returns at once. */
  public synchronized void cancel() {
    if (handle != 0) Mayday.nativeWatchCancel(handle);
  }

  /** Waits up to timeoutMillis for the watch to end; true if it has. */
  public boolean await(int timeoutMillis) {
    long h;
    synchronized (this) {
      h = handle;
    }
    return h == 0 || Mayday.nativeWatchWait(h, timeoutMillis);
  }

  @Override
  public synchronized void close() {
    if (handle != 0) {
      Mayday.nativeWatchDestroy(handle);
      handle = 0;
    }
  }
}
