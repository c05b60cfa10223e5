// The case as a NENA EIDO; see eido.h and docs/integrations.md.
#include "mayday/exports/eido.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "mayday/sdk/event_text.h"
#include "xml.h"

namespace mayday::exports {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using mayday::v1::Case;
using mayday::v1::CaseState;

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                          absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
                          absl::UTCTimeZone());
}

Value Text(const std::string& s) {
  Value v;
  v.set_string_value(s);
  return v;
}

Value Texts(std::initializer_list<std::string> items) {
  Value v;
  ListValue* list = v.mutable_list_value();
  for (const std::string& item : items) *list->add_values() = Text(item);
  return v;
}

Value Ref(const std::string& id) {
  Value v;
  (*v.mutable_struct_value()->mutable_fields())["$ref"] = Text(id);
  return v;
}

Value Refs(std::initializer_list<std::string> ids) {
  Value v;
  for (const std::string& id : ids) *v.mutable_list_value()->add_values() = Ref(id);
  return v;
}

// EIDO-IncidentStatus-Common for the case's state.
std::string IncidentStatus(CaseState state) {
  switch (state) {
    case mayday::v1::CASE_STATE_ASSIGNED:
      return "ResourcesAssigned";
    case mayday::v1::CASE_STATE_EN_ROUTE:
      return "ResourcesEnroute";
    case mayday::v1::CASE_STATE_ON_SCENE:
      return "ResourcesOnscene";
    case mayday::v1::CASE_STATE_RESOLVED:
      return "Closed";
    case mayday::v1::CASE_STATE_CANCELLED:
      return "Cancelled";
    default:
      return "Active";
  }
}

// EIDO-SecondaryUnitStatus-Common of a crew on the case.
std::string UnitStatus(CaseState state, bool second) {
  if (state == mayday::v1::CASE_STATE_RESOLVED || state == mayday::v1::CASE_STATE_CANCELLED) {
    return "Cleared";
  }
  if (second) return "Backup";
  switch (state) {
    case mayday::v1::CASE_STATE_EN_ROUTE:
      return "EnRoute";
    case mayday::v1::CASE_STATE_ON_SCENE:
      return "OnScene";
    default:
      return "Assigned";
  }
}

// EIDO-EmergencyResourceType-Common of a crew, from its capabilities; none
// for a roadside mechanic or patrol (the registry has no such unit).
std::optional<std::string> ResourceType(const EidoCrew& crew) {
  std::optional<std::string> type;
  for (mayday::v1::Capability c : crew.capabilities) {
    if (c == mayday::v1::CAPABILITY_PARAMEDIC) return "GroundALSAmbulance";
    if (c == mayday::v1::CAPABILITY_AMBULANCE) type = "GroundBLSAmbulance";
    if (c == mayday::v1::CAPABILITY_TOW && !type) type = "TowTruck";
  }
  return type;
}

// The member's location by value: a PIDF-LO (RFC 4119, RFC 5491) circle of
// the fix's 68 % radius with that confidence (RFC 7459), or a point when the
// accuracy is unknown; WGS 84 (EPSG 4326), metres.
std::string Pidflo(const Case& c, const std::string& entity) {
  const mayday::v1::Location& at = c.location();
  const std::string pos = absl::StrFormat("%.6f %.6f", at.latitude(), at.longitude());
  std::string shape;
  if (at.horizontal_accuracy_meters() > 0) {
    shape =
        absl::StrCat("<gs:Circle srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>", pos,
                     "</gml:pos><gs:radius uom=\"urn:ogc:def:uom:EPSG::9001\">",
                     absl::StrFormat("%.1f", at.horizontal_accuracy_meters()),
                     "</gs:radius></gs:Circle><con:confidence pdf=\"normal\">68</con:confidence>");
  } else {
    shape = absl::StrCat("<gml:Point srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>", pos,
                         "</gml:pos></gml:Point>");
  }
  const google::protobuf::Timestamp& when = at.has_fix_time() ? at.fix_time() : c.update_time();
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
      "xmlns:gp=\"urn:ietf:params:xml:ns:pidf:geopriv10\" "
      "xmlns:gml=\"http://www.opengis.net/gml\" xmlns:gs=\"http://www.opengis.net/pidflo/1.0\" "
      "xmlns:con=\"urn:ietf:params:xml:ns:geopriv:conf\" entity=\"",
      XmlText(entity), "\"><tuple id=\"fix\"><status><gp:geopriv><gp:location-info>", shape,
      "</gp:location-info><gp:usage-rules/><gp:method>GPS</gp:method></gp:geopriv></status>"
      "<timestamp>",
      Rfc3339(when), "</timestamp></tuple></presence>");
}

// JSON text of `value`, keys sorted ("$id" and "$ref" first, as '$' sorts
// before letters) and indented by two spaces per level, UTF-8 left as it is.
// The document holds only objects, lists, strings and booleans.
void AppendJson(const Value& value, int depth, std::string& out) {
  const std::string pad(2 * depth + 2, ' '), end_pad(2 * depth, ' ');
  if (value.has_struct_value()) {
    const auto& fields = value.struct_value().fields();
    const std::map<std::string, const Value*> sorted = [&] {
      std::map<std::string, const Value*> m;
      for (const auto& [key, v] : fields) m.emplace(key, &v);
      return m;
    }();
    out += "{";
    const char* comma = "\n";
    for (const auto& [key, v] : sorted) {
      out += comma + pad;
      AppendJson(Text(key), depth + 1, out);
      out += ": ";
      AppendJson(*v, depth + 1, out);
      comma = ",\n";
    }
    out += sorted.empty() ? "}" : "\n" + end_pad + "}";
  } else if (value.has_list_value()) {
    out += "[";
    const char* comma = "\n";
    for (const Value& v : value.list_value().values()) {
      out += comma + pad;
      AppendJson(v, depth + 1, out);
      comma = ",\n";
    }
    out += value.list_value().values().empty() ? "]" : "\n" + end_pad + "]";
  } else if (value.kind_case() == Value::kBoolValue) {
    out += value.bool_value() ? "true" : "false";
  } else {
    out += '"';
    for (const char ch : value.string_value()) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20) {
        out += absl::StrFormat("\\u%04x", c);
      } else {
        out += ch;
      }
    }
    out += '"';
  }
}

}  // namespace

absl::StatusOr<std::string> CaseToEido(const Case& c,
                                       absl::Span<const mayday::v1::CaseEvent> events,
                                       absl::Span<const EidoCrew> crews,
                                       const EidoOptions& options) {
  if (options.agency.empty() || options.agency.find_first_of(" \t\n:/\"<&") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the EIDO agency \"", options.agency, "\" must be a domain (no spaces, :, / or quotes)"));
  }
  if (!absl::StartsWith(c.name(), "cases/") || !c.has_create_time() || !c.has_location()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the case \"", c.name(), "\" lacks a name, a creation time or a location"));
  }
  const std::string id(absl::StripPrefix(c.name(), "cases/"));
  const std::string base = absl::StrCat("urn:emergency:uid:incidentid:", id, ":", options.agency);
  const std::string agency_id = options.agency;
  const std::string agent_id = base + ":agent:dispatch";
  const std::string location_id = base + ":location:caller";
  const std::string person_id = base + ":person:caller";
  const std::string updated = Rfc3339(c.has_update_time() ? c.update_time() : c.create_time());
  const bool medical = c.kind() == mayday::v1::CASE_KIND_MEDICAL;

  // The prologue every data component carries.
  auto component = [&](const std::string& component_id, const std::string& when) {
    Struct s;
    (*s.mutable_fields())["$id"] = Text(component_id);
    (*s.mutable_fields())["lastUpdateTimeStamp"] = Text(when);
    (*s.mutable_fields())["updatedByAgencyReference"] = Ref(agency_id);
    return s;
  };
  auto list_of = [](std::initializer_list<Struct> items) {
    Value v;
    for (const Struct& s : items) *v.mutable_list_value()->add_values()->mutable_struct_value() = s;
    return v;
  };

  Struct eido = component(base, updated);
  auto& top = *eido.mutable_fields();
  top["eidoVersion"] = Text("1.0");
  top["issuingElementIdentification"] = Text("mayday." + options.agency);

  Struct agency = component(agency_id, updated);
  (*agency.mutable_fields())["agencyRoleDescriptionRegistryText"] = Texts({"Dispatching"});
  (*agency.mutable_fields())["agencyType"] = Texts({options.agency_type});
  (*agency.mutable_fields())["incidentOwningAgencyIndicator"].set_bool_value(true);
  top["agencyComponent"] = list_of({agency});

  // Mayday's dispatch, the automaton that offers and assigns.
  Struct agent = component(agent_id, updated);
  (*agent.mutable_fields())["agentRoleRegistryText"] = Texts({"Dispatching"});
  (*agent.mutable_fields())["agencyReference"] = Ref(agency_id);
  top["agentComponent"] = list_of({agent});

  Struct location = component(location_id, updated);
  (*location.mutable_fields())["locationTypeDescriptionRegistryText"] = Text("Caller");
  (*location.mutable_fields())["locationByValue"] = Text(Pidflo(c, "pres:" + c.member()));
  top["locationComponent"] = list_of({location});

  Struct person = component(person_id, Rfc3339(c.create_time()));
  (*person.mutable_fields())["personIncidentRoleRegistryText"] = Texts({"Caller"});
  (*person.mutable_fields())["locationReference"] = Refs({location_id});
  top["personComponent"] = list_of({person});

  // The crews, as resources where the registry has their kind of unit.
  Value resources;
  for (size_t i = 0; i < crews.size(); ++i) {
    const EidoCrew& crew = crews[i];
    const bool second = crew.name == c.second_responder();
    const std::optional<std::string> type = ResourceType(crew);
    if (!type.has_value() || (crew.name != c.responder() && !second)) continue;
    const std::string resource_id = absl::StrCat(base, ":resource:", i);
    Struct resource = component(resource_id, updated);
    auto& r = *resource.mutable_fields();
    r["emergencyResourceTypeCommonRegistryText"] = Text(*type);
    r["emergencyResourceName"] = Text(crew.name);
    r["resourceAttributeRegistryText"].mutable_list_value();
    r["primaryUnitStatusRegistryText"] = Text("NotAvailable");
    r["secondaryUnitStatusRegistryText"] = Texts({UnitStatus(c.state(), second)});
    r["agentReference"] = Refs({agent_id});
    *resources.mutable_list_value()->add_values()->mutable_struct_value() = resource;
  }
  if (resources.list_value().values_size() > 0) top["emergencyResourceComponent"] = resources;

  // The timeline, in the desk's words, as notes.
  Value notes;
  Value note_refs;
  for (const mayday::v1::CaseEvent& e : events) {
    const std::string note_id = absl::StrCat(base, ":note:", e.sequence());
    Struct note = component(note_id, Rfc3339(e.event_time()));
    (*note.mutable_fields())["notesActionComments"] =
        Text(absl::StrCat("#", e.sequence(), " ", Rfc3339(e.event_time()), " ",
                          sdk::DescribeEvent(e, sdk::EventReader::kStaff)));
    *notes.mutable_list_value()->add_values()->mutable_struct_value() = note;
    *note_refs.mutable_list_value()->add_values() = Ref(note_id);
  }
  if (notes.list_value().values_size() > 0) top["notesComponent"] = notes;

  Struct incident = component(base + ":incident", updated);
  auto& f = *incident.mutable_fields();
  // EIDO-IncidentType-Common (APCO ANS 2.103.2): a roadside call is a
  // motorist assist, a medical button press a medical alarm.
  f["incidentTypeCommonRegistryText"] = Text(medical ? "ALRMED" : "VEHASST");
  f["incidentTypeInternalText"] = Text(medical ? "Medical emergency" : "Roadside emergency");
  f["incidentStatusCommonRegistryText"] = Texts({IncidentStatus(c.state())});
  f["internalIncidentId"] = Text(c.name());
  f["locationReference"] = Refs({location_id});
  f["personReference"] = Refs({person_id});
  f["agentReference"] = Refs({agent_id});
  if (note_refs.list_value().values_size() > 0) f["notesReference"] = note_refs;
  top["incidentComponent"].mutable_struct_value()->Swap(&incident);

  Value document;
  document.mutable_struct_value()->Swap(&eido);
  std::string json;
  AppendJson(document, 0, json);
  return json + "\n";
}

}  // namespace mayday::exports
