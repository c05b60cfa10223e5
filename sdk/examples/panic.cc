// mayday-panic: the two-button app on a command line. Raises a road or
// medical alert, prints the case name, then prints one line per case event
// until the case is resolved or cancelled, and, while a crew is coming,
// where it is ("~ crew 1.2 km away, ETA 2 min, at ...") as the app's map
// would show it.
//
//   mayday-panic --server HOST:PORT --token T [--tls-ca CA.pem]
//                [--note TEXT] [--accuracy M] [--fresh-fix LAT,LON,M]
//                road|medical LAT LON
//
// With --fresh-fix, when dispatch asks for a fresher fix (the one sent was
// too uncertain or too old) the SDK answers by itself with that one, as a
// phone answers with its newest GNSS fix.
//
// Until the server has the alert it keeps trying, and says on stderr why the
// alert is still waiting (the server cannot be reached, its certificate is
// not trusted) as soon as the SDK knows, within 5 s.
//
// Exit status: 0 when the case closed, 1 on error (message on stderr), 2 on
// a usage error, 130 when interrupted with Ctrl-C.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "mayday/sdk/client.h"
#include "mayday/sdk/event_text.h"

namespace {

std::atomic<bool> interrupted{false};

extern "C" void OnInterrupt(int /*signal*/) { interrupted.store(true); }

// Prints `status` on stderr and returns exit status 1.
int Fail(const absl::Status& status) {
  std::cerr << "mayday-panic: " << status.message() << " ("
            << absl::StatusCodeToString(status.code()) << ")\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Raise a Mayday alert and follow its case"};
  mayday::sdk::ClientOptions options;
  mayday::sdk::Alert alert;
  std::string kind;
  app.add_option("--server", options.server, "maydayd address, host:port")->required();
  app.add_option("--token", options.token, "member bearer token")->required();
  app.add_option("--tls-ca", options.tls.ca_file,
                 "connect with TLS, trusting the CA certificates in this PEM "
                 "file");
  app.add_option("--tls-server-name", options.tls.server_name,
                 "with --tls-ca: the name in the server's certificate, if not "
                 "the host of --server");
  app.add_option("--note", alert.note, "free text for the responders");
  app.add_option("--accuracy", alert.horizontal_accuracy_meters, "location accuracy in metres")
      ->check(CLI::NonNegativeNumber);
  std::vector<double> fresh_fix;
  app.add_option("--fresh-fix", fresh_fix,
                 "LAT,LON,M: the fix the SDK sends, as taken now, if dispatch asks for a "
                 "fresher one")
      ->delimiter(',')
      ->expected(3);
  app.add_option("kind", kind, "road or medical")
      ->required()
      ->check(CLI::IsMember({"road", "medical"}, CLI::ignore_case));
  app.add_option("latitude", alert.latitude, "degrees, WGS84")
      ->required()
      ->check(CLI::Range(-90.0, 90.0));
  app.add_option("longitude", alert.longitude, "degrees, WGS84")
      ->required()
      ->check(CLI::Range(-180.0, 180.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  options.tls.enabled = !options.tls.ca_file.empty();
  if (!fresh_fix.empty()) {
    if (fresh_fix.size() != 3 || !(fresh_fix[0] >= -90 && fresh_fix[0] <= 90) ||
        !(fresh_fix[1] >= -180 && fresh_fix[1] <= 180) || !(fresh_fix[2] >= 0)) {
      std::cerr << "mayday-panic: --fresh-fix is LAT,LON,METRES: latitude -90..90, longitude "
                   "-180..180, accuracy 0 or more\n";
      return 2;
    }
    options.current_location = [fresh_fix]() -> std::optional<mayday::v1::Location> {
      mayday::v1::Location fix;
      fix.set_latitude(fresh_fix[0]);
      fix.set_longitude(fresh_fix[1]);
      fix.set_horizontal_accuracy_meters(fresh_fix[2]);
      *fix.mutable_fix_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
      return fix;
    };
  }

  alert.kind = absl::AsciiStrToLower(kind) == "medical" ? mayday::v1::CASE_KIND_MEDICAL
                                                        : mayday::v1::CASE_KIND_ROAD;

  absl::StatusOr<std::unique_ptr<mayday::sdk::Client>> client =
      mayday::sdk::Client::Create(options);
  if (!client.ok()) return Fail(client.status());

  // Raise, not the blocking RaiseAlert: the member hears at once when the
  // alert cannot get through yet (nothing listens at --server, nothing
  // answers within 5 s, a certificate not trusted), and the alert keeps
  // trying until the server takes it or Ctrl-C.
  std::signal(SIGINT, OnInterrupt);
  std::string last_told;
  absl::StatusOr<std::shared_ptr<mayday::sdk::PendingAlert>> raised =
      (*client)->Raise(alert, [&last_told](const mayday::sdk::AlertProgress& progress) {
        if (progress.state != mayday::sdk::AlertState::kQueued || progress.error.ok()) return;
        const std::string told(progress.error.message());
        if (told == last_told) return;  // said once until it changes
        last_told = told;
        std::cerr << "mayday-panic: " << told << "; still trying (Ctrl-C to stop)" << std::endl;
      });
  if (!raised.ok()) return Fail(raised.status());
  while (!(*raised)->WaitDone(absl::Milliseconds(100))) {
    if (interrupted.load()) {
      std::cerr << "mayday-panic: interrupted; the alert was not delivered\n";
      return 130;
    }
  }
  const mayday::sdk::AlertProgress done = (*raised)->progress();
  if (done.state != mayday::sdk::AlertState::kAcknowledged) return Fail(done.error);
  const mayday::v1::Case* opened = &done.opened;
  std::cout << opened->name() << std::endl;

  absl::Mutex mu;
  absl::Status end;
  absl::StatusOr<std::unique_ptr<mayday::sdk::Watch>> watch = (*client)->WatchCase(
      opened->name(), /*after_sequence=*/0,
      [](const mayday::v1::CaseEvent& event) {
        std::cout << (mayday::sdk::FormatEventLine(event) + "\n") << std::flush;
      },
      [&mu, &end](const absl::Status& status) {
        absl::MutexLock lock(&mu);
        end = status;
      });
  if (!watch.ok()) return Fail(watch.status());
  // The crew coming: nothing until one is assigned, ends once it is there.
  absl::StatusOr<std::unique_ptr<mayday::sdk::Watch>> crew = (*client)->WatchCrew(
      opened->name(),
      [](const mayday::v1::CrewPosition& position) {
        // One write per line: the case's events print from another thread.
        std::cout << ("~ " + mayday::sdk::FormatCrewLine(position) + "\n") << std::flush;
      },
      [](const absl::Status& status) {
        if (!status.ok() && !absl::IsCancelled(status)) {
          std::cerr << "mayday-panic: the crew's position is not available: " << status.message()
                    << "\n";
        }
      });
  if (!crew.ok()) return Fail(crew.status());

  while (!(*watch)->WaitDone(absl::Milliseconds(100))) {
    if (interrupted.load()) {
      (*crew)->Cancel();
      (*watch)->Cancel();
      (*watch)->WaitDone(absl::Seconds(5));
      std::cerr << "mayday-panic: interrupted; stopped watching " << opened->name()
                << " (the case stays open)\n";
      return 130;
    }
  }
  (*crew)->Cancel();
  (*crew)->WaitDone(absl::Seconds(5));
  absl::MutexLock lock(&mu);
  return end.ok() ? 0 : Fail(end);
}
