package dev.mayday.sdk;

import java.util.concurrent.Executor;

/**
 * A member's connection to maydayd: the Java face of the SDK's C ABI (mayday.h), for Android
 * apps and any JVM. Thread-safe. Listeners run on the Executor the app gives (the main thread's,
 * or its own); a single-threaded one sees each watch's events in order, then its end.
 *
 * <pre>
 * Mayday mayday = new Mayday(new Mayday.Options("mayday.example.org:7433", token, dataDir),
 *     mainExecutor);
 * String caseName = mayday.raise(Mayday.ROAD, lat, lon, accuracy, "flat tyre");
 * Watch watch = mayday.watch(caseName, 0, listener);
 * </pre>
 */
public final class Mayday implements AutoCloseable {
  static {
    System.loadLibrary("mayday_jni");
  }

  public static final int ROAD = 1;
  public static final int MEDICAL = 2;

  /** How to reach the server (mayday_client_options). */
  public static final class Options {
    public final String server;
    public final String token;
    /** The app's data directory for the alert outbox; null keeps alerts in memory only. */
    public final String dataDir;

    /**
     * Where the member is now, for dispatch's requests of a fresher fix: the SDK answers them by
     * itself with what it returns (see LocationSource). Null: the app answers itself.
     */
    public final LocationSource locationSource;

    public Options(String server, String token, String dataDir) {
      this(server, token, dataDir, null);
    }

    public Options(String server, String token, String dataDir, LocationSource locationSource) {
      this.server = server;
      this.token = token;
      this.dataDir = dataDir;
      this.locationSource = locationSource;
    }
  }

  /**
   * The phone's newest fix, for a request of a fresher one (CaseEvent change 26, FIX_REQUESTED):
   * called on an SDK thread (not the app's Executor) before the event reaches the CaseListener;
   * the fix it returns goes to the server as the case's new location. Return {latitude,
   * longitude, accuracy in metres, fix time in Unix milliseconds (0: now)}, or null when there is
   * no fix at hand. Must be quick and thread-safe: the last fix the platform gave, never a wait for
   * a new one.
   */
  public interface LocationSource {
    double[] currentLocation();
  }

  /** What a watch reports, on the app's Executor. */
  public interface CaseListener {
    void onEvent(CaseEvent event);

    /** Once, last: status 0 after the case's final event, 1 if cancelled, else the error. */
    void onEnd(int status, String message);
  }

  /** What a crew watch reports, on the app's Executor. */
  public interface CrewListener {
    void onPosition(CrewPosition position);

    /** Once, last: status 0 once the crew is on scene or the case is over, 1 if cancelled. */
    void onEnd(int status, String message);
  }

  private final Executor executor;
  private long client;

  public Mayday(Options options, Executor executor) throws MaydayException {
    if (executor == null) throw new MaydayException(MaydayException.INVALID_ARGUMENT, "executor");
    this.executor = executor;
    this.client =
        nativeCreate(options.server, options.token, options.dataDir, options.locationSource);
  }

  /** The SDK's version, e.g. "0.1.0". */
  public static String version() {
    return nativeVersion();
  }

  /**
   * Raises an alert and returns its case name once the server has stored it, retrying until
   * the SDK's deadline; with a dataDir the alert stays queued if it passes.
   */
  public String raise(int kind, double latitude, double longitude, double accuracyMeters,
      String note) throws MaydayException {
    return nativeRaise(handle(), kind, latitude, longitude, accuracyMeters, note);
  }

  /** Follows a case from afterSequence on; the listener runs on this client's Executor. */
  public Watch watch(String caseName, long afterSequence, CaseListener listener)
      throws MaydayException {
    if (listener == null) throw new MaydayException(MaydayException.INVALID_ARGUMENT, "listener");
    return new Watch(nativeWatch(handle(), caseName, afterSequence, new Relay(executor, listener)));
  }

  public void cancel(String caseName, String reason) throws MaydayException {
    nativeCancel(handle(), caseName, reason, null);
  }

  /**
   * Cancels with the PIN the member typed, when the member has a cancel PIN. A wrong PIN throws
   * PERMISSION_DENIED and is counted (after 5 the member can no longer cancel the case); the
   * duress PIN seems to cancel like the cancel PIN while help goes on, so show the member nothing
   * else.
   */
  public void cancel(String caseName, String reason, String pin) throws MaydayException {
    nativeCancel(handle(), caseName, reason, pin);
  }

  /**
   * Sets, replaces or clears (both null) the member's cancel PIN and duress PIN, 4 to 12 digits
   * each; currentPin is the cancel PIN set now, or null.
   */
  public void setCancelPins(String currentPin, String cancelPin, String duressPin)
      throws MaydayException {
    nativeSetCancelPins(handle(), currentPin, cancelPin, duressPin);
  }

  /**
   * Starts a safety timer: unless ended before deadlineUnixSeconds (10 s to 7 days ahead), the
   * server raises a kind alert at the member's last reported location with the note, exactly
   * once, even if the phone is lost. Returns its name, "timers/...". requestId: the app's key
   * for this start, reused to retry one whose answer was lost, or null for one made here.
   */
  public String startSafetyTimer(int kind, double latitude, double longitude,
      double accuracyMeters, String note, long deadlineUnixSeconds, String requestId)
      throws MaydayException {
    return nativeStartSafetyTimer(handle(), kind, latitude, longitude, accuracyMeters, note,
        deadlineUnixSeconds, requestId);
  }

  /** Reports where the member is now and, if deadlineUnixSeconds > 0, moves the deadline. */
  public void updateSafetyTimer(String timerName, double latitude, double longitude,
      double accuracyMeters, long deadlineUnixSeconds) throws MaydayException {
    nativeUpdateSafetyTimer(handle(), timerName, latitude, longitude, accuracyMeters,
        deadlineUnixSeconds);
  }

  /**
   * Ends a running timer: nothing is raised. pin as for cancel (null when none is set); the
   * duress PIN seems to end it and raises the alert for the care desk at once.
   */
  public void endSafetyTimer(String timerName, String pin) throws MaydayException {
    nativeEndSafetyTimer(handle(), timerName, pin);
  }

  /**
   * Follows the crew coming to the member's case: its position, distance and a fresh ETA at once
   * when assigned, then every 100 m it moves and at least every 10 s; nothing after it is on
   * scene. The listener runs on this client's Executor; close the Watch to stop.
   */
  public Watch watchCrew(String caseName, CrewListener listener) throws MaydayException {
    if (listener == null) throw new MaydayException(MaydayException.INVALID_ARGUMENT, "listener");
    return new Watch(nativeWatchCrew(handle(), caseName, new CrewRelay(executor, listener)));
  }

  /**
   * The member's medical profile as JSON (protobuf's JSON mapping of mayday.v1.MedicalProfile:
   * {"allergies":["penicillin"],"bloodGroup":"BLOOD_GROUP_O_NEGATIVE",...}). NOT_FOUND while
   * there is none.
   */
  public String medicalProfile() throws MaydayException {
    return nativeGetMedicalProfile(handle());
  }

  /** Replaces the member's whole medical profile with the one in json. */
  public void updateMedicalProfile(String json) throws MaydayException {
    nativeUpdateMedicalProfile(handle(), json);
  }

  /** Deletes the member's medical profile (fine if there is none). */
  public void deleteMedicalProfile() throws MaydayException {
    nativeDeleteMedicalProfile(handle());
  }

  /** Writes a message for the care agents; returns its event's sequence. */
  public long postMessage(String caseName, String text) throws MaydayException {
    return nativePostMessage(handle(), caseName, text);
  }

  /** Rates a closed case, 1 to 5 stars, once; comment may be null. */
  public void rate(String caseName, int stars, String comment) throws MaydayException {
    nativeRate(handle(), caseName, stars, comment);
  }

  @Override
  public synchronized void close() {
    if (client != 0) {
      nativeDestroy(client);
      client = 0;
    }
  }

  private synchronized long handle() throws MaydayException {
    if (client == 0) throw new MaydayException(MaydayException.FAILED_PRECONDITION, "closed");
    return client;
  }

  /** Called by the native side on an SDK thread; hands each call to the app's Executor. */
  static final class Relay {
    private final Executor executor;
    private final CaseListener listener;

    Relay(Executor executor, CaseListener listener) {
      this.executor = executor;
      this.listener = listener;
    }

    void event(CaseEvent event) {
      executor.execute(() -> listener.onEvent(event));
    }

    void end(int status, String message) {
      executor.execute(() -> listener.onEnd(status, message));
    }
  }

  static final class CrewRelay {
    private final Executor executor;
    private final CrewListener listener;

    CrewRelay(Executor executor, CrewListener listener) {
      this.executor = executor;
      this.listener = listener;
    }

    void position(CrewPosition position) {
      executor.execute(() -> listener.onPosition(position));
    }

    void end(int status, String message) {
      executor.execute(() -> listener.onEnd(status, message));
    }
  }

  private static native String nativeVersion();

  private static native long nativeCreate(String server, String token, String dataDir,
      LocationSource locationSource) throws MaydayException;

  private static native void nativeDestroy(long client);

  private static native String nativeRaise(long client, int kind, double latitude,
      double longitude, double accuracyMeters, String note) throws MaydayException;

  private static native long nativeWatch(long client, String caseName, long afterSequence,
      Relay relay) throws MaydayException;

  private static native long nativeWatchCrew(long client, String caseName, CrewRelay relay)
      throws MaydayException;

  private static native String nativeGetMedicalProfile(long client) throws MaydayException;

  private static native void nativeUpdateMedicalProfile(long client, String json)
      throws MaydayException;

  private static native void nativeDeleteMedicalProfile(long client) throws MaydayException;

  static native void nativeWatchCancel(long watch);

  static native boolean nativeWatchWait(long watch, int timeoutMillis);

  static native void nativeWatchDestroy(long watch);

  private static native String nativeStartSafetyTimer(long client, int kind, double latitude,
      double longitude, double accuracyMeters, String note, long deadlineUnixSeconds,
      String requestId) throws MaydayException;

  private static native void nativeUpdateSafetyTimer(long client, String timerName,
      double latitude, double longitude, double accuracyMeters, long deadlineUnixSeconds)
      throws MaydayException;

  private static native void nativeEndSafetyTimer(long client, String timerName, String pin)
      throws MaydayException;

  private static native void nativeSetCancelPins(long client, String currentPin, String cancelPin,
      String duressPin) throws MaydayException;

  private static native void nativeCancel(long client, String caseName, String reason,
      String pin) throws MaydayException;

  private static native long nativePostMessage(long client, String caseName, String text)
      throws MaydayException;

  private static native void nativeRate(long client, String caseName, int stars, String comment)
      throws MaydayException;
}
