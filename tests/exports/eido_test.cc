// The EIDO export checked as a receiver would, against NENA-STA-021.1's
// OpenAPI schema (EmergencyIncidentDataObjectType and its components): the
// prologue and the required elements of every component, registry values
// from the standard's registry tables, RFC 3339 times, every "$ref" naming a
// component of the document, and the location by value a well-formed
// PIDF-LO circle with the fix's radius and 68 % confidence.
#include "mayday/exports/eido.h"

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "well_formed.h"

namespace mayday::exports {
namespace {

namespace v1 = ::mayday::v1;
using google::protobuf::Struct;
using google::protobuf::Value;

const std::regex kRfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[-+]\d{2}:\d{2}))");

// Required elements of each component (the schema's `required`, the
// prologue's included).
const std::vector<std::string> kPrologue = {"$id", "lastUpdateTimeStamp",
                                            "updatedByAgencyReference"};
const std::map<std::string, std::vector<std::string>> kRequired = {
    {"agencyComponent", {"agencyRoleDescriptionRegistryText", "agencyType"}},
    {"agentComponent", {"agentRoleRegistryText", "agencyReference"}},
    {"locationComponent", {"locationTypeDescriptionRegistryText"}},
    {"personComponent", {"personIncidentRoleRegistryText"}},
    {"notesComponent", {"notesActionComments"}},
    {"emergencyResourceComponent",
     {"agentReference", "emergencyResourceTypeCommonRegistryText", "primaryUnitStatusRegistryText",
      "resourceAttributeRegistryText", "secondaryUnitStatusRegistryText"}},
};

// Registry values (NENA-STA-021.1 §3 tables) for the elements that take them.
const std::map<std::string, std::set<std::string>> kRegistries = {
    {"agencyRoleDescriptionRegistryText",
     {"Assisting", "CallReceiving", "Dispatched", "Dispatching", "Informational", "TransferredTo"}},
    {"incidentStatusCommonRegistryText",
     {"Active", "Cancelled", "Closed", "FireUnderControl", "NewLocation", "ReOpened",
      "ResourcesAssigned", "ResourcesEnroute", "ResourcesOnscene", "StructureCleared"}},
    {"personIncidentRoleRegistryText",
     {"InvolvedPerson", "Caller", "Patient", "PatientAcquaintance", "PatientRelative",
      "PersonOfInterest", "ReportingParty", "Suspect", "Victim", "VictimAcquaintance",
      "VictimRelative", "Witness"}},
    {"locationTypeDescriptionRegistryText",
     {"RoutingLocation", "Caller", "CurrentIncident", "InitialIncident", "Investigation", "Other",
      "Staging", "TowerLocation", "UnitLocation"}},
    {"primaryUnitStatusRegistryText", {"Available", "ConditionallyAvailable", "NotAvailable"}},
    // Those of the Secondary Unit Status table a crew of a case can be in.
    {"secondaryUnitStatusRegistryText",
     {"Arrived", "Assigned", "AssignmentCancelled", "Backup", "Cleared", "Delayed", "Dispatched",
      "EnRoute", "OnScene"}},
    // Of the Emergency Resource Type and Incident Type tables, the values
    // near Mayday's crews and cases.
    {"emergencyResourceTypeCommonRegistryText",
     {"GroundALSAmbulance", "GroundBLSAmbulance", "TowTruck", "PatrolUnit"}},
    {"incidentTypeCommonRegistryText",
     {"ALRMED", "VEHASST", "DISVEH", "MVA", "MVAINJY", "SICK", "PERUNCON", "CARDIAC", "TOW"}},
};

// Every string of `value` (or of its list), for registry checks.
std::vector<std::string> Strings(const Value& value) {
  if (value.has_list_value()) {
    std::vector<std::string> out;
    for (const Value& v : value.list_value().values()) out.push_back(v.string_value());
    return out;
  }
  return {value.string_value()};
}

// Collects every "$id", and every "$ref" with where it was found.
void Walk(const Value& value, std::set<std::string>& ids, std::vector<std::string>& refs) {
  if (value.has_list_value()) {
    for (const Value& v : value.list_value().values()) Walk(v, ids, refs);
  } else if (value.has_struct_value()) {
    for (const auto& [key, v] : value.struct_value().fields()) {
      if (key == "$id") ids.insert(v.string_value());
      if (key == "$ref") refs.push_back(v.string_value());
      Walk(v, ids, refs);
    }
  }
}

void CheckComponent(const std::string& kind, const Struct& s) {
  INFO("component " << kind);
  for (const std::string& name : kPrologue) {
    INFO("required " << name);
    CHECK(s.fields().contains(name));
  }
  CHECK(std::regex_match(s.fields().at("lastUpdateTimeStamp").string_value(), kRfc3339));
  if (auto it = kRequired.find(kind); it != kRequired.end()) {
    for (const std::string& name : it->second) {
      INFO("required " << name);
      CHECK(s.fields().contains(name));
    }
  }
  for (const auto& [name, value] : s.fields()) {
    auto registry = kRegistries.find(name);
    if (registry == kRegistries.end()) continue;
    for (const std::string& v : Strings(value)) {
      INFO(name << " = " << v);
      CHECK(registry->second.contains(v));
    }
  }
}

// Parses `json` and checks it against the schema's rules; returns it.
Struct CheckEido(const std::string& json) {
  Struct eido;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &eido).ok());
  CheckComponent("eido", eido);
  const auto& top = eido.fields();
  for (const char* name : {"eidoVersion", "issuingElementIdentification", "agencyComponent"}) {
    INFO("required " << name);
    REQUIRE(top.contains(name));
  }
  CHECK(top.at("eidoVersion").string_value() == "1.0");
  REQUIRE(top.contains("incidentComponent"));
  const Struct& incident = top.at("incidentComponent").struct_value();
  CheckComponent("incidentComponent", incident);
  CHECK(incident.fields().contains("incidentTypeCommonRegistryText"));
  for (const auto& [name, value] : top) {
    if (!absl::EndsWith(name, "Component") || name == "incidentComponent") continue;
    REQUIRE(value.has_list_value());
    for (const Value& item : value.list_value().values()) CheckComponent(name, item.struct_value());
  }
  // Every reference names a component of this document.
  std::set<std::string> ids;
  std::vector<std::string> refs;
  Value whole;
  *whole.mutable_struct_value() = eido;
  Walk(whole, ids, refs);
  for (const std::string& ref : refs) {
    INFO("$ref " << ref);
    CHECK(ids.contains(ref));
  }
  return eido;
}

const Struct& First(const Struct& eido, const std::string& component) {
  return eido.fields().at(component).list_value().values(0).struct_value();
}

v1::Case MedicalCase() {
  v1::Case c;
  c.set_name("cases/0665172898800010aa4a569935d27dbdd4fcad8a4828c1");
  c.set_member("members/alice");
  c.set_kind(v1::CASE_KIND_MEDICAL);
  c.set_state(v1::CASE_STATE_EN_ROUTE);
  c.set_note("he <fell> & is \"breathing\"");
  c.mutable_location()->set_latitude(52.3676);
  c.mutable_location()->set_longitude(4.9041);
  c.mutable_location()->set_horizontal_accuracy_meters(35);
  c.mutable_create_time()->set_seconds(1'800'000'000);
  c.mutable_update_time()->set_seconds(1'800'000'240);
  c.set_responder("responders/amb-1");
  c.set_second_responder("responders/amb-2");
  c.set_last_sequence(3);
  return c;
}

std::vector<v1::CaseEvent> Timeline() {
  std::vector<v1::CaseEvent> events(3);
  for (int i = 0; i < 3; ++i) {
    events[i].set_case_("cases/0665172898800010aa4a569935d27dbdd4fcad8a4828c1");
    events[i].set_sequence(i + 1);
    events[i].mutable_event_time()->set_seconds(1'800'000'000 + 60 * i);
  }
  events[0].set_actor("members/alice");
  events[0].mutable_raised()->set_kind(v1::CASE_KIND_MEDICAL);
  events[0].mutable_raised()->set_note("he <fell> & is \"breathing\"");
  events[1].set_actor("responders/amb-1");
  events[1].mutable_assigned()->set_responder("responders/amb-1");
  events[1].mutable_assigned()->set_eta_seconds(240);
  events[2].set_actor("responders/amb-1");
  events[2].set_state(v1::CASE_STATE_EN_ROUTE);
  events[2].mutable_progressed()->set_responder("responders/amb-1");
  return events;
}

TEST_CASE("A medical case exports as an EIDO the schema accepts", "[exports][eido]") {
  const std::vector<EidoCrew> crews = {{"responders/amb-1", {v1::CAPABILITY_PARAMEDIC}},
                                       {"responders/amb-2", {v1::CAPABILITY_AMBULANCE}}};
  const absl::StatusOr<std::string> json =
      CaseToEido(MedicalCase(), Timeline(), crews, {.agency = "care.example.org"});
  REQUIRE(json.ok());
  const Struct eido = CheckEido(*json);
  const Struct& incident = eido.fields().at("incidentComponent").struct_value();
  CHECK(incident.fields().at("incidentTypeCommonRegistryText").string_value() == "ALRMED");
  CHECK(Strings(incident.fields().at("incidentStatusCommonRegistryText")) ==
        std::vector<std::string>{"ResourcesEnroute"});
  CHECK(incident.fields().at("internalIncidentId").string_value() == MedicalCase().name());
  // The crews: the case's crew en route, the second as backup.
  const auto& resources = eido.fields().at("emergencyResourceComponent").list_value();
  REQUIRE(resources.values_size() == 2);
  const auto& first = resources.values(0).struct_value().fields();
  CHECK(first.at("emergencyResourceTypeCommonRegistryText").string_value() == "GroundALSAmbulance");
  CHECK(Strings(first.at("secondaryUnitStatusRegistryText")) ==
        std::vector<std::string>{"EnRoute"});
  const auto& second = resources.values(1).struct_value().fields();
  CHECK(second.at("emergencyResourceName").string_value() == "responders/amb-2");
  CHECK(Strings(second.at("secondaryUnitStatusRegistryText")) ==
        std::vector<std::string>{"Backup"});
  // The timeline as notes, in the desk's words.
  const auto& notes = eido.fields().at("notesComponent").list_value();
  REQUIRE(notes.values_size() == 3);
  CHECK(notes.values(0)
            .struct_value()
            .fields()
            .at("notesActionComments")
            .string_value()
            .find("he <fell> & is \"breathing\"") != std::string::npos);
  // The caller's location: a PIDF-LO circle of 35 m at 68 % confidence.
  const std::string pidflo =
      First(eido, "locationComponent").fields().at("locationByValue").string_value();
  CHECK(WellFormed(pidflo));
  CHECK(pidflo.find("<gml:pos>52.367600 4.904100</gml:pos>") != std::string::npos);
  CHECK(pidflo.find("<gs:radius uom=\"urn:ogc:def:uom:EPSG::9001\">35.0</gs:radius>") !=
        std::string::npos);
  CHECK(pidflo.find("<con:confidence pdf=\"normal\">68</con:confidence>") != std::string::npos);
  CHECK(Strings(First(eido, "personComponent").fields().at("personIncidentRoleRegistryText")) ==
        std::vector<std::string>{"Caller"});
}

TEST_CASE("A road case exports as an EIDO, with the crews the registry can name",
          "[exports][eido]") {
  struct Row {
    const char* name;
    v1::CaseState state;
    std::vector<v1::Capability> capabilities;
    const char* status;
    int resources;
  };
  const std::vector<Row> rows = {
      {"waiting", v1::CASE_STATE_DISPATCHING, {}, "Active", 0},
      {"tow truck assigned", v1::CASE_STATE_ASSIGNED, {v1::CAPABILITY_TOW}, "ResourcesAssigned", 1},
      {"mechanic on scene (no registry value)",
       v1::CASE_STATE_ON_SCENE,
       {v1::CAPABILITY_MECHANIC},
       "ResourcesOnscene",
       0},
      {"resolved", v1::CASE_STATE_RESOLVED, {v1::CAPABILITY_TOW}, "Closed", 1},
      {"cancelled", v1::CASE_STATE_CANCELLED, {}, "Cancelled", 0},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.name);
    v1::Case c = MedicalCase();
    c.set_kind(v1::CASE_KIND_ROAD);
    c.set_state(row.state);
    c.clear_second_responder();
    c.mutable_location()->set_horizontal_accuracy_meters(0);
    std::vector<EidoCrew> crews;
    if (!row.capabilities.empty()) {
      crews.push_back({"responders/r-1", row.capabilities});
      c.set_responder("responders/r-1");
    } else {
      c.clear_responder();
    }
    const absl::StatusOr<std::string> json = CaseToEido(c, {}, crews);
    REQUIRE(json.ok());
    const Struct eido = CheckEido(*json);
    const Struct& incident = eido.fields().at("incidentComponent").struct_value();
    CHECK(incident.fields().at("incidentTypeCommonRegistryText").string_value() == "VEHASST");
    CHECK(Strings(incident.fields().at("incidentStatusCommonRegistryText")) ==
          std::vector<std::string>{row.status});
    const int resources =
        eido.fields().contains("emergencyResourceComponent")
            ? eido.fields().at("emergencyResourceComponent").list_value().values_size()
            : 0;
    CHECK(resources == row.resources);
    // Accuracy unknown: a point.
    const std::string pidflo =
        First(eido, "locationComponent").fields().at("locationByValue").string_value();
    CHECK(WellFormed(pidflo));
    CHECK(pidflo.find("<gml:Point") != std::string::npos);
  }
}

TEST_CASE("An EIDO export refuses a bad agency or an incomplete case", "[exports][eido]") {
  for (const char* agency : {"", "care desk", "a:b", "a/b", "a\"b"}) {
    INFO("agency: " << agency);
    CHECK(absl::IsInvalidArgument(CaseToEido(MedicalCase(), {}, {}, {.agency = agency}).status()));
  }
  v1::Case no_location = MedicalCase();
  no_location.clear_location();
  CHECK(absl::IsInvalidArgument(CaseToEido(no_location, {}, {}).status()));
}

}  // namespace
}  // namespace mayday::exports
