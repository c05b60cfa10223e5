package dev.mayday.sdk;

/** One event of a case (mayday_event of the C ABI), as a watch delivers it. */
public final class CaseEvent {
  /** 1, 2, 3, ... without gaps. */
  public final long sequence;
  /** The case's state after the event (mayday_case_state: 1 DISPATCHING ... 5 RESOLVED). */
  public final int state;
  public final String caseName;
  public final String actor;
  /** English text for the member, as mayday-panic prints it. */
  public final String description;
  public final long eventTimeMillis;
  /** Which change (mayday_event_change: 10 RAISED, 11 OFFERED, 13 ASSIGNED, 19 MESSAGE_POSTED...). */
  public final int change;
  /** For offers and the crew's steps: "responders/{id}"; otherwise "". */
  public final String responder;
  public final double distanceMeters;
  public final int etaSeconds;
  /** The note, a message or a cancel reason; otherwise "". */
  public final String text;

  public static final int STATE_RESOLVED = 5;
  public static final int STATE_CANCELLED = 6;

  CaseEvent(long sequence, int state, String caseName, String actor, String description,
      long eventTimeMillis, int change, String responder, double distanceMeters, int etaSeconds,
      String text) {
    this.sequence = sequence;
    this.state = state;
    this.caseName = caseName;
    this.actor = actor;
    this.description = description;
    this.eventTimeMillis = eventTimeMillis;
    this.change = change;
    this.responder = responder;
    this.distanceMeters = distanceMeters;
    this.etaSeconds = etaSeconds;
    this.text = text;
  }

  @Override
  public String toString() {
    return "#" + sequence + " " + description;
  }
}
