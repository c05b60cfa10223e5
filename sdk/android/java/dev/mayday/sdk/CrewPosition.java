package dev.mayday.sdk;

/** Where the crew coming to a case is (mayday_crew_position of the C ABI), for a map. */
public final class CrewPosition {
  public final String caseName;
  /** The case's state: 2 ASSIGNED or 3 EN_ROUTE (mayday_case_state). */
  public final int state;
  public final double latitude;
  public final double longitude;
  /** Of the crew's fix; 0 when unknown. */
  public final double accuracyMeters;
  /** From the crew to the member. */
  public final double distanceMeters;
  /** How long the crew still needs, recomputed from where it is. */
  public final int etaSeconds;
  /** When the server received the crew's position. */
  public final long reportTimeMillis;

  CrewPosition(String caseName, int state, double latitude, double longitude,
      double accuracyMeters, double distanceMeters, int etaSeconds, long reportTimeMillis) {
    this.caseName = caseName;
    this.state = state;
    this.latitude = latitude;
    this.longitude = longitude;
    this.accuracyMeters = accuracyMeters;
    this.distanceMeters = distanceMeters;
    this.etaSeconds = etaSeconds;
    this.reportTimeMillis = reportTimeMillis;
  }

  @Override
  public String toString() {
    return "crew " + Math.round(distanceMeters) + " m away, ETA " + etaSeconds + " s";
  }
}
