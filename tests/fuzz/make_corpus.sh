#!/usr/bin/env bash
# Writes the fuzz harnesses' seed corpora into corpus/<harness>/ (committed;
# run again after changing a seed). Each seed is the two selector bytes of
# fuzz_input.h and a request written below in text format; the RPC and SDK
# harnesses get it twice, as text (byte 1 bit 7 set) and encoded to binary
# with protoc. Needs protoc (protobuf-compiler) and perl (for raw numbers).
#
#   tests/fuzz/make_corpus.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/corpus"

# seed <harness> <name> <byte0> <byte1 without bit 7> <message type> <text>
seed() {
  local harness=$1 name=$2 rpc=$3 flags=$4 type=$5 text=$6
  local dir="$out/$harness"
  mkdir -p "$dir"
  { printf "\\x$(printf %02x "$rpc")\\x$(printf %02x $((flags | 0x80)))"; printf '%s' "$text"; } \
    >"$dir/$name.txt"
  { printf "\\x$(printf %02x "$rpc")\\x$(printf %02x "$flags")"
    printf '%s' "$text" | protoc -I "$root/proto" --encode="mayday.v1.$type" \
      mayday/v1/alert_service.proto mayday/v1/responder_service.proto \
      mayday/v1/operator_service.proto mayday/v1/fleet_service.proto; } >"$dir/$name.bin"
}

# raw <harness> <name> <byte0> <byte1> <perl pack template> <values...>
raw() {
  local harness=$1 name=$2 rpc=$3 flags=$4 template=$5
  shift 5
  mkdir -p "$out/$harness"
  perl -e 'my ($r, $f, $t, @v) = @ARGV; print pack("CC", $r, $f), pack($t, @v)' \
    "$rpc" "$flags" "$template" "$@" >"$out/$harness/$name"
}

rm -rf "$out"
here_loc='location { latitude: 52.3676 longitude: 4.9041 horizontal_accuracy_meters: 12 }'

# AlertService (alert_rpc_fuzz): byte 0 = RPC, byte 1 bits 0-2 = caller
# (0-2 member A, 3 member B, 4 responder, 5 operator, 6 no token, 7 bad).
a=alert_rpc_fuzz
seed $a raise-road 0 0 RaiseAlertRequest "request_id: \"fz-seed-1\" kind: CASE_KIND_ROAD $here_loc note: \"blue car\""
seed $a raise-medical 0 3 RaiseAlertRequest "request_id: \"fz-seed-2\" kind: CASE_KIND_MEDICAL $here_loc"
seed $a raise-no-token 0 6 RaiseAlertRequest "request_id: \"fz-seed-3\" kind: CASE_KIND_ROAD $here_loc"
seed $a get-own 1 0 GetCaseRequest 'name: "@e"'
seed $a get-other 1 0 GetCaseRequest 'name: "@b"'
seed $a get-responder 1 4 GetCaseRequest 'name: "@s"'
seed $a list 2 0 ListCasesRequest 'page_size: 2'
seed $a move 3 0 UpdateCaseLocationRequest "name: \"@e\" $here_loc"
seed $a cancel 4 0 CancelCaseRequest 'name: "@o" reason: "false alarm" false_alarm: true'
seed $a watch 5 0 WatchCaseRequest 'name: "@s" after_sequence: 1'
seed $a watch-resolved 5 0 WatchCaseRequest 'name: "@r"'
seed $a message 6 0 PostMessageRequest 'case: "@s" text: "where are you?"'
seed $a rate 7 0 RateCaseRequest 'name: "@r" stars: 5 comment: "fast"'
seed $a rate-bad-token 7 7 RateCaseRequest 'name: "@c" stars: 1'
seed $a pins-set 8 0 SetCancelPinsRequest 'cancel_pin: "2468" duress_pin: "1357"'
seed $a pins-change 8 0 SetCancelPinsRequest 'current_pin: "2468" cancel_pin: "97531"'
seed $a pins-get 9 0 GetCancelPinsRequest ''
seed $a cancel-pin 4 0 CancelCaseRequest 'name: "@o" reason: "ok" pin: "1357"'
seed $a timer-start 10 0 StartSafetyTimerRequest "request_id: \"fz-timer\" kind: CASE_KIND_ROAD $here_loc note: \"walk\" deadline { seconds: 4102444800 }"
seed $a timer-update 11 0 UpdateSafetyTimerRequest "name: \"timers/00064a1b2c3d4e0123456789abcdef0123456789abcdef\" $here_loc"
seed $a timer-end 12 0 EndSafetyTimerRequest 'name: "timers/00064a1b2c3d4e0123456789abcdef0123456789abcdef" pin: "1357"'
seed $a timer-get 13 0 GetSafetyTimerRequest 'name: "timers/00064a1b2c3d4e0123456789abcdef0123456789abcdef"'
seed $a profile-set 14 0 UpdateMedicalProfileRequest 'profile { allergies: "penicillin" conditions: "asthma" medications { name: "salbutamol" dose: "2 puffs" } blood_group: BLOOD_GROUP_O_NEGATIVE emergency_contacts { name: "Ruth" relationship: "sister" phone: "+447700900123" } note: "inhaler in the left pocket" }'
seed $a profile-bad-phone 14 3 UpdateMedicalProfileRequest 'profile { emergency_contacts { name: "Ruth" phone: "0770 0900123" } }'
seed $a profile-get 15 0 GetMedicalProfileRequest ''
seed $a profile-delete 16 0 DeleteMedicalProfileRequest ''
seed $a crew-own 17 0 WatchCrewRequest 'name: "@s"'
seed $a crew-other 17 3 WatchCrewRequest 'name: "@s"'

# ResponderService (responder_rpc_fuzz): callers 0-1 responder 1 (has @s),
# 2-3 responder 2 (offered @o), 4 member, 5 operator, 6 no token, 7 bad;
# bits 3-4 of byte 1: ReportLocation writes 1 + that many.
r=responder_rpc_fuzz
seed $r duty-on 0 0 SetDutyRequest 'on_duty: true capabilities: CAPABILITY_TOW capabilities: CAPABILITY_AMBULANCE'
seed $r duty-off 0 2 SetDutyRequest 'on_duty: false'
seed $r report 1 0 ReportLocationRequest "$here_loc"
seed $r report-three 1 $((0 | 2 << 3)) ReportLocationRequest 'location { latitude: -33.9 longitude: 18.4 }'
seed $r subscribe 2 2 SubscribeRequest ''
seed $r accept 3 2 AcceptOfferRequest 'case: "@o"'
seed $r accept-assigned 3 0 AcceptOfferRequest 'case: "@s"'
seed $r decline 4 2 DeclineOfferRequest 'case: "@o"'
seed $r progress 5 0 UpdateProgressRequest 'case: "@s" state: CASE_STATE_EN_ROUTE'
seed $r resolve 5 0 UpdateProgressRequest 'case: "@s" state: CASE_STATE_RESOLVED'
seed $r message 6 0 PostMessageRequest 'case: "@s" text: "5 minutes away"'
seed $r member-accept 3 4 AcceptOfferRequest 'case: "@o"'
seed $r profile 7 0 GetCaseMedicalProfileRequest 'case: "@s"'
seed $r profile-offered 7 2 GetCaseMedicalProfileRequest 'case: "@o"'

# OperatorService (operator_rpc_fuzz): callers 0-1 admin, 2-3 operator,
# 4 member, 5 responder, 6 no token, 7 bad.
o=operator_rpc_fuzz
seed $o list 0 2 ListAllCasesRequest 'states: CASE_STATE_ESCALATED kind: CASE_KIND_MEDICAL page_size: 3 member: "members/fz-a" min_create_time { seconds: 1 }'
seed $o get 1 2 GetCaseRequest 'name: "@s"'
seed $o events 2 2 ListCaseEventsRequest 'parent: "@s" page_size: 2'
seed $o watch-all 3 2 WatchCasesRequest ''
seed $o responders 4 2 ListRespondersRequest 'page_size: 5'
seed $o message 5 2 PostMessageRequest 'case: "@e" text: "an ambulance is coming"'
seed $o cancel 6 2 CancelCaseRequest 'name: "@e" reason: "duplicate"'
seed $o resolve 7 2 ResolveCaseRequest 'name: "@s"'
seed $o note 8 2 CreateCaseNoteRequest 'parent: "@e" text: "called the member back"'
seed $o notes 9 2 ListCaseNotesRequest 'parent: "@e"'
seed $o assign 10 2 AssignCaseRequest 'name: "@e" responder: "@3"'
seed $o take 11 2 TakeCaseRequest 'name: "@e"'
seed $o release 12 2 ReleaseCaseRequest 'name: "@e"'
seed $o escalate 13 2 EscalateCaseRequest 'name: "@o" reason: "no answer"'
seed $o track 14 2 ListCaseTrackRequest 'parent: "@s"'
seed $o responder 15 2 GetResponderRequest 'name: "@1"'
seed $o token 16 0 CreateTokenRequest 'role: ROLE_RESPONDER subject: "unit-7"'
seed $o token-operator 16 2 CreateTokenRequest 'role: ROLE_ADMIN subject: "x"'
seed $o tokens 17 0 ListTokensRequest ''
seed $o revoke 18 0 RevokeTokenRequest 'name: "tokens/0123456789abcdef"'
seed $o member-list 0 4 ListAllCasesRequest ''
seed $o profile 19 2 GetMemberMedicalProfileRequest 'name: "members/fz-a/medicalProfile"'
seed $o profile-bad-name 19 0 GetMemberMedicalProfileRequest 'name: "members/fz-a"'
seed $o keep-crew 20 2 KeepCrewRequest 'name: "@s" responder: "@1"'
seed $o webhook-create 21 0 CreateWebhookEndpointRequest 'endpoint { url: "https://hooks.example.org/mayday?x=1" event_types: "raised" event_types: "cancelled" format: WEBHOOK_FORMAT_CAP } secret: "0123456789abcdef0123456789abcdef"'
seed $o webhook-create-operator 21 2 CreateWebhookEndpointRequest 'endpoint { url: "https://hooks.example.org/" } secret: "0123456789abcdef"'
seed $o webhooks 22 0 ListWebhookEndpointsRequest ''
seed $o webhook-delete 23 0 DeleteWebhookEndpointRequest 'name: "webhooks/wh-0123456789abcdef"'
seed $o webhook-deliveries 24 0 ListWebhookDeliveriesRequest 'endpoint: "@w" states: STATE_PENDING page_size: 5'
seed $o webhook-redeliver 25 0 RedeliverWebhooksRequest 'endpoint: "@w" case: "@s"'

# FleetService (fleet_rpc_fuzz): one RPC (byte 0 unused); callers 0-2 the fleet
# "fz" (@1 @2 @3 are its crews), 3 responder, 4 operator, 5 member, 6 no
# token, 7 bad; bits 3-4 of byte 1: the batch is written 1 + that many times.
f=fleet_rpc_fuzz
fleet_loc='location { latitude: 52.3676 longitude: 4.9041 horizontal_accuracy_meters: 8 }'
seed $f one 0 0 ReportPositionsRequest "positions { responder: \"@1\" $fleet_loc }"
seed $f three-twice 0 8 ReportPositionsRequest "positions { responder: \"@1\" $fleet_loc } positions { responder: \"@2\" $fleet_loc } positions { responder: \"@3\" $fleet_loc }"
seed $f unknown-crew 0 1 ReportPositionsRequest "positions { responder: \"responders/fz-nobody\" $fleet_loc }"
seed $f other-fleet 0 2 ReportPositionsRequest "positions { responder: \"responders/acme-1\" $fleet_loc }"
seed $f fix-time 0 0 ReportPositionsRequest "positions { responder: \"@1\" location { latitude: 52.3 longitude: 4.9 fix_time { seconds: 1764583200 } } }"
seed $f empty 0 0 ReportPositionsRequest ''
seed $f as-responder 0 3 ReportPositionsRequest "positions { responder: \"@1\" $fleet_loc }"

# The SDK's watch (sdk_watch_fuzz): byte 0 = the stream's end code
# (0 OK, 14 UNAVAILABLE, 5 NOT_FOUND), byte 1 bits 3-6 = after_sequence.
w=sdk_watch_fuzz
ev() { echo "events { case: \"cases/fz\" sequence: $1 state: CASE_STATE_$2 actor: \"$3\" event_time { seconds: 1764583200 nanos: 5000000 } $4 }"; }
full="$(ev 1 DISPATCHING members/a "raised { kind: CASE_KIND_ROAD $here_loc note: \"blue car\" }")
$(ev 2 DISPATCHING dispatch 'offered { responder: "responders/r-1" distance_meters: 1234.5 eta_seconds: 227 }')
$(ev 3 DISPATCHING responders/r-1 'offer_ended { responder: "responders/r-1" reason: REASON_DECLINED }')
$(ev 4 ESCALATED dispatch 'escalated { reason: "no responder in range" }')
$(ev 5 ESCALATED operators/o-1 'taken { operator: "operators/o-1" }')
$(ev 6 DISPATCHING operators/o-1 'released { operator: "operators/o-1" }')
$(ev 7 DISPATCHING dispatch 'redispatched { }')
$(ev 8 ASSIGNED responders/r-2 'assigned { responder: "responders/r-2" eta_seconds: 400 distance_meters: 5000 }')
$(ev 9 ASSIGNED members/a "location_updated { $here_loc }")
$(ev 10 ASSIGNED responders/r-2 'message_posted { author: "responders/r-2" text: "on my way" }')
$(ev 11 EN_ROUTE responders/r-2 'progressed { responder: "responders/r-2" }')
$(ev 12 ON_SCENE responders/r-2 'progressed { responder: "responders/r-2" }')
$(ev 13 RESOLVED responders/r-2 'progressed { responder: "responders/r-2" }')"
seed $w full-case 0 0 ListCaseEventsResponse "$full"
seed $w resume-after-5 0 $((5 << 3)) ListCaseEventsResponse "$full"
seed $w dropped 14 0 ListCaseEventsResponse "$(ev 1 DISPATCHING members/a 'raised { kind: CASE_KIND_MEDICAL }')
$(ev 2 DISPATCHING dispatch 'offered { responder: "responders/r-1" eta_seconds: 60 }')"
seed $w duplicates 0 0 ListCaseEventsResponse "$(ev 1 DISPATCHING members/a 'raised { }')
$(ev 1 DISPATCHING members/a 'raised { }')
$(ev 3 CANCELLED members/a 'cancelled { reason: "false alarm" false_alarm: true }')
$(ev 2 CANCELLED members/a 'rated { rating { stars: 4 comment: "ok" } }')"
seed $w not-found 5 0 ListCaseEventsResponse ''
# The largest ETA (FormatEtaMinutes overflowed int32 rounding it up).
seed $w eta-max 0 0 ListCaseEventsResponse "$(ev 1 DISPATCHING dispatch 'offered { eta_seconds: 2147483647 }')"

# The SDK's outbox (sdk_outbox_fuzz): the payload is a stored request.
seed sdk_outbox_fuzz alert 0 0 RaiseAlertRequest "request_id: \"0123456789abcdef0123456789abcdef\" kind: CASE_KIND_ROAD $here_loc note: \"blue car\""
seed sdk_outbox_fuzz no-id 0 0 RaiseAlertRequest "kind: CASE_KIND_MEDICAL $here_loc"

# Validation (validation_fuzz): byte 0 = function, raw arguments.
v=validation_fuzz
raw $v location 0 0 'd<d<d<' 52.3676 4.9041 12
raw $v location-fix-time 0 8 'd<d<d<q<l<' -33.9 18.4 0 1764583200 999999999
raw $v location-absent 0 16 'd<d<d<' 0 0 0
raw $v location-nan 0 0 'd<d<d<' NaN 4.9 -1
raw $v timestamp 1 0 'q<l<' 253402300799 999999999
raw $v kind 2 0 'l<' 2
raw $v text 3 0 'a*' 'blue car, hazard lights on'
raw $v message 4 0 'a*' ''
raw $v rating 5 0 'l<a*' 5 'fast and kind'
raw $v request-id 6 0 'a*' '5f0c9a8e-6d1b-4d2e-9a8b-0c1d2e3f4a5b'
raw $v page-size 7 0 'l<S<S<' 250 100 50
raw $v capability 8 0 'l<' 5
raw $v case-name 9 0 'a*' 'cases/00064a1b2c3d4e0123456789abcdef0123456789abcdef'
raw $v case-name-old 9 0 'a*' 'cases/0123456789abcdef0123456789abcdef'
raw $v subject 10 8 'a*' 'responders/unit-7'
raw $v token-name 11 0 'a*' 'tokens/0123456789abcdef'
raw $v url 12 0 'a*' 'https://hooks.example.org/mayday?x=1'
raw $v url-http 12 8 'a*' 'http://10.0.0.1:8080/hook'
raw $v url-userinfo 12 0 'a*' 'https://user:pw@example.org/#top'
raw $v url-made 12 48 'S<a*' 8443 'crm'
raw $v address-v6 13 0 'H32' '20010db8000000000000000000000001'
raw $v address-mapped 13 0 'H32' '00000000000000000000ffff7f000001'

find "$out" -type f | wc -l | xargs echo "seeds written:" >&2
