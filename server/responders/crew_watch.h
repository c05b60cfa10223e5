// Where the crews coming to members are, for the members' WatchCrew streams
// (services/watch_crew.h). A crew's position reports pass through here on
// their way in (Reported, a hash lookup when nobody watches that crew); a
// listener watching the crew hears each one, and every listener hears a
// tick once a second of the injected clock, from one thread for all of
// them, so that a quiet crew's position and ETA still go out every 10 s.
//
// CrewUpdates is the rule a stream follows: the latest position at once,
// then whenever the crew has moved `move_meters` from the last one sent,
// and in any case `max_quiet` after the last one sent.
#ifndef MAYDAY_SERVER_RESPONDERS_CREW_WATCH_H_
#define MAYDAY_SERVER_RESPONDERS_CREW_WATCH_H_

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mayday/base/clock.h"
#include "mayday/dispatch/engine.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// A crew's position as the server received it.
struct CrewFix {
  mayday::v1::Location location;
  absl::Time report_time;
};

// Hears of a watched crew and of the ticks. Both are called with the
// watch's lock held (CrewMoved shared: it may run on several threads at
// once): quick, never blocking, never calling back into it.
class CrewListener {
 public:
  virtual ~CrewListener() = default;
  virtual void CrewMoved(const CrewFix& fix) = 0;
  virtual void Tick(absl::Time now) = 0;
};

// When a WatchCrew stream sends. Not thread-safe (its stream's lock).
class CrewUpdates {
 public:
  struct Rules {
    double move_meters = 100;
    absl::Duration max_quiet = absl::Seconds(10);
  };
  CrewUpdates() = default;
  explicit CrewUpdates(Rules rules) : rules_(rules) {}

  // A new position of the crew, at `now`: whether to send it now (never for
  // one received before the latest).
  bool Moved(const CrewFix& fix, absl::Time now);
  // A tick at `now`: whether to send the latest position again (with a
  // fresh ETA) because none went out for max_quiet.
  bool Quiet(absl::Time now) const;
  // What was sent at `now` (Moved's or the latest fix).
  void Sent(absl::Time now);
  // Forgets the crew (another one is coming now).
  void Reset();

  const std::optional<CrewFix>& latest() const { return latest_; }

 private:
  Rules rules_;
  std::optional<CrewFix> latest_;
  std::optional<mayday::v1::Location> sent_location_;
  absl::Time sent_time_ = absl::InfinitePast();
};

// The geodesic distance in metres between two locations (WGS84).
double DistanceMeters(const mayday::v1::Location& a, const mayday::v1::Location& b);

// Thread-safe.
class CrewWatch {
 public:
  // `clock` is not owned and must outlive the watch. `speeds`: dispatch's
  // (FallbackSpeed).
  CrewWatch(const base::Clock* clock, const dispatch::EngineOptions& speeds,
            absl::Duration tick = absl::Seconds(1));
  ~CrewWatch();  // Stop()

  // Starts the tick thread; Stop() ends it (idempotent).
  void Start();
  void Stop();

  // A report of `responder_id`, received at `now`.
  void Reported(const std::string& responder_id, const mayday::v1::Location& location,
                absl::Time now);

  // `listener` hears the ticks from now until Remove.
  void Add(CrewListener* listener);
  // `listener` hears of `responder_id` from now (and of nobody else: a
  // listener watches one crew at a time). An empty id: no crew.
  void Watch(CrewListener* listener, const std::string& responder_id);
  // After Remove returns, `listener` hears nothing more.
  void Remove(CrewListener* listener);

  // How many listeners there are (tests).
  size_t ListenerCount() const;

  // The speed an ETA assumes when the assignment gave none (a care agent
  // assigned a crew without a position): the slowest of the capabilities
  // that serve `kind`, so that the ETA errs long.
  double FallbackSpeed(mayday::v1::CaseKind kind) const;

 private:
  void Loop();
  void UnwatchLocked(CrewListener* listener) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const base::Clock* const clock_;
  const dispatch::EngineOptions speeds_;
  const absl::Duration tick_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<CrewListener*>> by_crew_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<CrewListener*, std::string> crew_of_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RESPONDERS_CREW_WATCH_H_
