import dev.mayday.sdk.CaseEvent;
import dev.mayday.sdk.CrewPosition;
import dev.mayday.sdk.Mayday;
import dev.mayday.sdk.MaydayException;
import dev.mayday.sdk.Watch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * What an Android app calls, on this machine's JVM through JNI and libmayday.so, against a real
 * maydayd with simulated tow crews and no ambulance (tests/jni/jni_test.sh): a road alert watched
 * to RESOLVED on the app's executor; a medical alert (escalated, nobody to send) messaged,
 * cancelled and rated; errors as MaydayException with the C ABI's status.
 *
 * <p>java -cp mayday.jar:jni_test.jar -Djava.library.path=DIR MaydayJniTest SERVER TOKEN
 * INDOORS_TOKEN (a second member, for the alert raised indoors)
 */
public final class MaydayJniTest {
  private static void check(boolean condition, String what) {
    if (!condition) throw new AssertionError(what);
  }

  public static void main(String[] args) throws Exception {
    final String server = args[0];
    final String token = args[1];
    final String indoorsToken = args[2];
    check(!Mayday.version().isEmpty(), "a version");
    System.out.println("mayday SDK " + Mayday.version() + " through JNI");

    // The app's executor: one thread of its own, as a main looper would be.
    ExecutorService appThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-main"));
    try (Mayday mayday = new Mayday(new Mayday.Options(server, token, null), appThread)) {
      // A road alert (a note with a character outside the BMP), watched to RESOLVED.
      String road = mayday.raise(Mayday.ROAD, 52.3676, 4.9041, 10, "flat tyre \uD83D\uDE97");
      check(road.startsWith("cases/"), "a case name: " + road);
      System.out.println("raised " + road);
      // The crew coming, followed from the start: positions once assigned,
      // the end once it is on scene.
      List<CrewPosition> crew = new ArrayList<>();
      int[] crewEnd = {-1};
      CountDownLatch crewEnded = new CountDownLatch(1);
      Watch crewWatch = mayday.watchCrew(road, new Mayday.CrewListener() {
        @Override
        public void onPosition(CrewPosition position) {
          crew.add(position);
          System.out.println("  ~ " + position);
        }

        @Override
        public void onEnd(int status, String message) {
          crewEnd[0] = status;
          crewEnded.countDown();
        }
      });
      List<CaseEvent> events = new ArrayList<>();
      List<String> threads = new ArrayList<>();
      int[] end = {-1};
      CountDownLatch ended = new CountDownLatch(1);
      try (Watch watch = mayday.watch(road, 0, new Mayday.CaseListener() {
        @Override
        public void onEvent(CaseEvent event) {
          events.add(event);
          threads.add(Thread.currentThread().getName());
          System.out.println("  " + event);
        }

        @Override
        public void onEnd(int status, String message) {
          end[0] = status;
          threads.add(Thread.currentThread().getName());
          ended.countDown();
        }
      })) {
        check(ended.await(60, TimeUnit.SECONDS), "the watch ended");
      }
      check(end[0] == 0, "ended OK, not " + end[0]);
      check(events.size() >= 5, "at least 5 events, got " + events.size());
      for (int i = 0; i < events.size(); ++i) {
        check(events.get(i).sequence == i + 1, "sequence " + (i + 1));
      }
      check(events.get(0).change == 10 && events.get(0).text.equals("flat tyre \uD83D\uDE97"),
          "RAISED with the note as typed: " + events.get(0).text);
      check(events.get(events.size() - 1).state == CaseEvent.STATE_RESOLVED, "RESOLVED last");
      boolean assigned = false;
      for (CaseEvent event : events) {
        if (event.change == 13) {
          assigned = event.responder.startsWith("responders/") && event.etaSeconds > 0
              && event.distanceMeters > 0;
        }
      }
      check(assigned, "an ASSIGNED event with the crew, its ETA and distance");
      for (String thread : threads) check(thread.equals("app-main"), "on the app's thread: " + thread);
      check(crewEnded.await(30, TimeUnit.SECONDS), "the crew watch ended");
      crewWatch.close();
      check(crewEnd[0] == 0, "the crew watch ended OK, not " + crewEnd[0]);
      check(!crew.isEmpty(), "the crew's position at least once");
      for (CrewPosition p : crew) {
        check(p.caseName.equals(road) && (p.state == 2 || p.state == 3) && p.distanceMeters >= 0,
            "a position of this case's crew while coming: " + p);
      }

      // A medical profile: stored, read back, refused when malformed, deleted.
      mayday.updateMedicalProfile(
          "{\"allergies\":[\"penicillin\"],\"bloodGroup\":\"BLOOD_GROUP_O_NEGATIVE\"}");
      String profile = mayday.medicalProfile();
      check(profile.contains("penicillin") && profile.contains("BLOOD_GROUP_O_NEGATIVE"), profile);
      try {
        mayday.updateMedicalProfile("{\"allergies\": 5}");
        check(false, "a profile that is not one is refused");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.INVALID_ARGUMENT,
            "INVALID_ARGUMENT, not " + expected.status());
      }
      mayday.deleteMedicalProfile();
      try {
        mayday.medicalProfile();
        check(false, "a deleted profile is gone");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.NOT_FOUND, "NOT_FOUND, not " + expected.status());
      }

      // A medical alert: no ambulance on duty, so it waits for the care desk.
      String medical = mayday.raise(Mayday.MEDICAL, 52.3600, 4.8800, 0, null);
      long sequence = mayday.postMessage(medical, "he is breathing, I am with him");
      check(sequence >= 2, "the message's sequence: " + sequence);
      try {
        mayday.rate(medical, 5, null);
        check(false, "rating an open case is refused");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.FAILED_PRECONDITION,
            "FAILED_PRECONDITION, not " + expected.status());
      }
      mayday.cancel(medical, "an ambulance from the hospital came");
      mayday.rate(medical, 4, "the desk called back at once");
      try {
        mayday.rate(medical, 9, null);
        check(false, "9 stars is refused");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.INVALID_ARGUMENT,
            "INVALID_ARGUMENT, not " + expected.status() + ": " + expected.getMessage());
      }

      // Cancel PINs: without the PIN and with a wrong one, refused; the
      // duress PIN seems to cancel like the real one.
      mayday.setCancelPins(null, "24681357", "13572468");
      String guarded = mayday.raise(Mayday.MEDICAL, 52.3600, 4.8800, 0, "PIN test");
      try {
        mayday.cancel(guarded, "fine");
        check(false, "a cancel without the PIN is refused");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.FAILED_PRECONDITION,
            "FAILED_PRECONDITION, not " + expected.status());
      }
      try {
        mayday.cancel(guarded, "fine", "11112222");
        check(false, "a wrong PIN is refused");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.PERMISSION_DENIED,
            "PERMISSION_DENIED, not " + expected.status());
        check(expected.getMessage().contains("4 attempts left"), expected.getMessage());
      }
      mayday.cancel(guarded, "fine", "13572468");

      // A safety timer: started, moved on, ended with the PIN.
      long inAnHour = System.currentTimeMillis() / 1000 + 3600;
      String timer = mayday.startSafetyTimer(Mayday.ROAD, 52.36, 4.88, 10, "night drive",
          inAnHour, "jni-timer");
      check(timer.startsWith("timers/"), "a timer name: " + timer);
      check(mayday.startSafetyTimer(Mayday.ROAD, 52.36, 4.88, 10, "night drive", inAnHour,
          "jni-timer").equals(timer), "the same start retried gets the same timer");
      mayday.updateSafetyTimer(timer, 52.10, 5.12, 15, inAnHour + 1800);
      try {
        mayday.endSafetyTimer(timer, "11112222");
        check(false, "a wrong PIN does not end the timer");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.PERMISSION_DENIED,
            "PERMISSION_DENIED, not " + expected.status());
      }
      mayday.endSafetyTimer(timer, "24681357");
      try {
        mayday.endSafetyTimer(timer, "24681357");
        check(false, "an ended timer cannot end again");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.FAILED_PRECONDITION,
            "FAILED_PRECONDITION, not " + expected.status());
      }
      mayday.setCancelPins("24681357", null, null);
      try {
        mayday.postMessage("cases/nothing-here", "hello");
        check(false, "a message on no case is refused");
      } catch (MaydayException expected) {
        check(expected.status() == MaydayException.NOT_FOUND || expected.status()
            == MaydayException.INVALID_ARGUMENT, "NOT_FOUND, not " + expected.status());
      }
    }

    // A phone indoors: an alert raised with an 800 m fix; dispatch asks for a
    // fresher one and the SDK answers by itself with the LocationSource's,
    // on an SDK thread, before the app hears of the request. (Another
    // member's medical case: no ambulance is on duty, so it stays open.)
    List<String> sourceThreads = new ArrayList<>();
    Mayday.LocationSource gnss = () -> {
      synchronized (sourceThreads) {
        sourceThreads.add(Thread.currentThread().getName());
      }
      return new double[] {52.3611, 4.8811, 9, 0};
    };
    try (Mayday indoors =
             new Mayday(new Mayday.Options(server, indoorsToken, null, gnss), appThread)) {
      String poorFix = indoors.raise(Mayday.MEDICAL, 52.3600, 4.8800, 800, "indoors");
      List<CaseEvent> seen = new ArrayList<>();
      CountDownLatch answered = new CountDownLatch(1);
      try (Watch watch = indoors.watch(poorFix, 0, new Mayday.CaseListener() {
        @Override
        public void onEvent(CaseEvent event) {
          seen.add(event);
          if (event.change == 15) answered.countDown();  // LOCATION_UPDATED
        }

        @Override
        public void onEnd(int status, String message) {}
      })) {
        check(answered.await(30, TimeUnit.SECONDS), "the fresh fix reached the case");
      }
      int asked = -1, moved = -1;
      for (int i = 0; i < seen.size(); ++i) {
        if (seen.get(i).change == 26 && asked < 0) asked = i;
        if (seen.get(i).change == 15 && moved < 0) moved = i;
      }
      check(asked >= 0 && seen.get(asked).text.contains("800 m uncertain"),
          "a FIX_REQUESTED event with its words");
      check(moved > asked && seen.get(moved).description.contains("52.36110, 4.88110"),
          "then the location the source gave: " + seen.get(moved).description);
      synchronized (sourceThreads) {
        check(sourceThreads.size() == 1, "the source asked once, not " + sourceThreads.size());
        check(!sourceThreads.get(0).equals("app-main"), "on an SDK thread");
      }
      indoors.cancel(poorFix, "found a better place");
    }

    // A token the server does not know: UNAUTHENTICATED, with a message.
    try (Mayday stranger = new Mayday(new Mayday.Options(server, "not-a-token", null),
             appThread)) {
      stranger.raise(Mayday.ROAD, 52.37, 4.90, 0, null);
      check(false, "a bad token is refused");
    } catch (MaydayException expected) {
      check(expected.status() == MaydayException.UNAUTHENTICATED,
          "UNAUTHENTICATED, not " + expected.status());
      check(!expected.getMessage().isEmpty(), "a message");
    }
    appThread.shutdown();
    check(appThread.awaitTermination(10, TimeUnit.SECONDS), "the app thread stopped");
    System.out.println("JNI OK");
  }
}
