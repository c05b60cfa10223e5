// The JNI side of dev.mayday.sdk.Mayday (sdk/android/java): each native
// method calls the C ABI (mayday/mayday.h) of libmayday.so. Text crosses
// as UTF-16 both ways (JNI's "UTF" functions speak modified UTF-8, which
// mangles characters outside the BMP, such as emoji in a note). Watch
// callbacks arrive on SDK threads, which are attached to the JVM once and
// detached when they end, and hand each call to the app's Executor through
// Mayday.Relay.
#include <jni.h>

#include <cstdint>
#include <string>

#include "mayday/mayday.h"

namespace {

JavaVM* vm = nullptr;
jclass exception_class = nullptr;    // dev.mayday.sdk.MaydayException
jmethodID exception_init = nullptr;  // (int, String)
jclass event_class = nullptr;        // dev.mayday.sdk.CaseEvent
jmethodID event_init = nullptr;
jmethodID relay_event = nullptr;  // Mayday.Relay.event(CaseEvent)
jmethodID relay_end = nullptr;    // Mayday.Relay.end(int, String)
jclass crew_class = nullptr;      // dev.mayday.sdk.CrewPosition
jmethodID crew_init = nullptr;
jmethodID crew_relay_position = nullptr;      // Mayday.CrewRelay.position(CrewPosition)
jmethodID crew_relay_end = nullptr;           // Mayday.CrewRelay.end(int, String)
jmethodID location_source_current = nullptr;  // Mayday.LocationSource.currentLocation()

// UTF-8 (from the SDK: valid, but anything invalid becomes U+FFFD) to a
// Java string.
jstring ToJava(JNIEnv* env, const char* utf8) {
  std::u16string out;
  const auto* p = reinterpret_cast<const unsigned char*>(utf8 == nullptr ? "" : utf8);
  while (*p != 0) {
    uint32_t c = *p;
    int extra = c < 0x80           ? 0
                : (c >> 5) == 0x6  ? 1
                : (c >> 4) == 0xE  ? 2
                : (c >> 3) == 0x1E ? 3
                                   : -1;
    if (extra < 0) {
      out.push_back(u'\uFFFD');
      ++p;
      continue;
    }
    c = extra == 0 ? c : c & (0x3F >> extra);
    int i = 1;
    for (; i <= extra && (p[i] & 0xC0) == 0x80; ++i) c = (c << 6) | (p[i] & 0x3F);
    if (i <= extra) {
      out.push_back(u'\uFFFD');
      p += i;
      continue;
    }
    p += extra + 1;
    if (c >= 0x10000) {
      c -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (c >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (c & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(c));
    }
  }
  return env->NewString(reinterpret_cast<const jchar*>(out.data()), static_cast<jsize>(out.size()));
}

// A Java string (null: "") as UTF-8; a lone surrogate becomes U+FFFD.
std::string ToUtf8(JNIEnv* env, jstring text) {
  std::string out;
  if (text == nullptr) return out;
  const jsize size = env->GetStringLength(text);
  const jchar* units = env->GetStringChars(text, nullptr);
  for (jsize i = 0; i < size; ++i) {
    uint32_t c = units[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < size && units[i + 1] >= 0xDC00 &&
        units[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (units[++i] - 0xDC00);
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  env->ReleaseStringChars(text, units);
  return out;
}

// Throws MaydayException(status, the thread's last error message).
void ThrowStatus(JNIEnv* env, mayday_status status) {
  jstring message = ToJava(env, mayday_last_error_message());
  auto exception = static_cast<jthrowable>(
      env->NewObject(exception_class, exception_init, static_cast<jint>(status), message));
  if (exception != nullptr) env->Throw(exception);
}

// The JNIEnv of this thread, attaching an SDK thread to the JVM on first
// use and detaching it when the thread ends.
struct Attachment {
  JNIEnv* env = nullptr;
  ~Attachment() {
    if (env != nullptr) vm->DetachCurrentThread();
  }
};

JNIEnv* CurrentEnv() {
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8) == JNI_OK) return env;
  thread_local Attachment attachment;
  if (attachment.env == nullptr) {
    vm->AttachCurrentThreadAsDaemon(reinterpret_cast<void**>(&attachment.env), nullptr);
  }
  return attachment.env;
}

// The app's Mayday.LocationSource (a global reference, `user`): asked on a
// watch's thread for its newest fix, {latitude, longitude, accuracy, fix
// time in Unix ms} or null; released when the SDK no longer asks.
int CurrentLocation(void* user, double* latitude, double* longitude, double* accuracy,
                    int64_t* fix_time_unix_ms) {
  JNIEnv* env = CurrentEnv();
  if (env == nullptr) return 0;
  auto fix = static_cast<jdoubleArray>(
      env->CallObjectMethod(static_cast<jobject>(user), location_source_current));
  if (env->ExceptionCheck()) {
    env->ExceptionDescribe();  // the app's bug: said, and no fix sent
    env->ExceptionClear();
    return 0;
  }
  if (fix == nullptr) return 0;
  int ok = 0;
  if (env->GetArrayLength(fix) == 4) {
    jdouble values[4];
    env->GetDoubleArrayRegion(fix, 0, 4, values);
    *latitude = values[0];
    *longitude = values[1];
    *accuracy = values[2];
    *fix_time_unix_ms = static_cast<int64_t>(values[3]);
    ok = 1;
  }
  env->DeleteLocalRef(fix);
  return ok;
}

void ReleaseLocationSource(void* user) {
  if (JNIEnv* env = CurrentEnv(); env != nullptr) env->DeleteGlobalRef(static_cast<jobject>(user));
}

// A watch and the Relay (or CrewRelay) its callbacks call (a global
// reference), and that relay's end method.
struct JniWatch {
  mayday_watch* watch = nullptr;
  jobject relay = nullptr;
  jmethodID end = nullptr;
};

extern "C" void OnEvent(const mayday_event* event, void* user) {
  JNIEnv* env = CurrentEnv();
  if (env == nullptr) return;
  auto* watch = static_cast<JniWatch*>(user);
  // The thread stays attached for the watch's life: its local references
  // are freed after each event (Android allows 512 at a time).
  if (env->PushLocalFrame(16) != JNI_OK) return;
  jobject java_event = env->NewObject(
      event_class, event_init, static_cast<jlong>(event->sequence), static_cast<jint>(event->state),
      ToJava(env, event->case_name), ToJava(env, event->actor), ToJava(env, event->description),
      static_cast<jlong>(event->event_time_unix_ms), static_cast<jint>(event->change),
      ToJava(env, event->responder), static_cast<jdouble>(event->distance_meters),
      static_cast<jint>(event->eta_seconds), ToJava(env, event->text));
  if (java_event != nullptr) env->CallVoidMethod(watch->relay, relay_event, java_event);
  if (env->ExceptionCheck()) env->ExceptionClear();  // the app's Executor refused it
  env->PopLocalFrame(nullptr);
}

extern "C" void OnEnd(mayday_status status, const char* message, void* user) {
  JNIEnv* env = CurrentEnv();
  if (env == nullptr) return;
  auto* watch = static_cast<JniWatch*>(user);
  if (env->PushLocalFrame(4) != JNI_OK) return;
  jstring text = ToJava(env, message);
  env->CallVoidMethod(watch->relay, watch->end, static_cast<jint>(status), text);
  if (env->ExceptionCheck()) env->ExceptionClear();
  env->PopLocalFrame(nullptr);
}

extern "C" void OnCrew(const mayday_crew_position* position, void* user) {
  JNIEnv* env = CurrentEnv();
  if (env == nullptr) return;
  auto* watch = static_cast<JniWatch*>(user);
  if (env->PushLocalFrame(8) != JNI_OK) return;
  jobject java_position = env->NewObject(
      crew_class, crew_init, ToJava(env, position->case_name), static_cast<jint>(position->state),
      position->latitude, position->longitude, position->accuracy_meters, position->distance_meters,
      static_cast<jint>(position->eta_seconds), static_cast<jlong>(position->report_time_unix_ms));
  if (java_position != nullptr) {
    env->CallVoidMethod(watch->relay, crew_relay_position, java_position);
  }
  if (env->ExceptionCheck()) env->ExceptionClear();  // the app's Executor refused it
  env->PopLocalFrame(nullptr);
}

// The profile's JSON can be long: 50 entries of 200 bytes in three lists,
// ten contacts and a 2000-byte note stay well under this.
constexpr size_t kProfileJsonBytes = 256 * 1024;

// A JniWatch calling `relay` (its end method `end`), started by `start`
// (a mayday_watch_*start); its handle, or 0 with the exception thrown.
template <typename Start>
jlong StartWatch(JNIEnv* env, jobject relay, jmethodID end, Start start) {
  auto* watch = new JniWatch;
  watch->relay = env->NewGlobalRef(relay);
  watch->end = end;
  if (const mayday_status status = start(watch); status != MAYDAY_OK) {
    env->DeleteGlobalRef(watch->relay);
    delete watch;
    ThrowStatus(env, status);
    return 0;
  }
  return reinterpret_cast<jlong>(watch);
}

mayday_client* Client(jlong handle) { return reinterpret_cast<mayday_client*>(handle); }
JniWatch* Watch(jlong handle) { return reinterpret_cast<JniWatch*>(handle); }

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* loaded, void* /*reserved*/) {
  vm = loaded;
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
  auto global = [env](const char* name) {
    jclass local = env->FindClass(name);
    return local == nullptr ? nullptr : static_cast<jclass>(env->NewGlobalRef(local));
  };
  exception_class = global("dev/mayday/sdk/MaydayException");
  event_class = global("dev/mayday/sdk/CaseEvent");
  jclass relay_class = env->FindClass("dev/mayday/sdk/Mayday$Relay");
  crew_class = global("dev/mayday/sdk/CrewPosition");
  jclass crew_relay_class = env->FindClass("dev/mayday/sdk/Mayday$CrewRelay");
  if (exception_class == nullptr || event_class == nullptr || relay_class == nullptr ||
      crew_class == nullptr || crew_relay_class == nullptr) {
    return JNI_ERR;
  }
  crew_init = env->GetMethodID(crew_class, "<init>", "(Ljava/lang/String;IDDDDIJ)V");
  crew_relay_position =
      env->GetMethodID(crew_relay_class, "position", "(Ldev/mayday/sdk/CrewPosition;)V");
  crew_relay_end = env->GetMethodID(crew_relay_class, "end", "(ILjava/lang/String;)V");
  if (crew_init == nullptr || crew_relay_position == nullptr || crew_relay_end == nullptr) {
    return JNI_ERR;
  }
  jclass source_class = env->FindClass("dev/mayday/sdk/Mayday$LocationSource");
  if (source_class == nullptr) return JNI_ERR;
  location_source_current = env->GetMethodID(source_class, "currentLocation", "()[D");
  if (location_source_current == nullptr) return JNI_ERR;
  exception_init = env->GetMethodID(exception_class, "<init>", "(ILjava/lang/String;)V");
  event_init = env->GetMethodID(
      event_class, "<init>",
      "(JILjava/lang/String;Ljava/lang/String;Ljava/lang/String;JILjava/lang/String;DI"
      "Ljava/lang/String;)V");
  relay_event = env->GetMethodID(relay_class, "event", "(Ldev/mayday/sdk/CaseEvent;)V");
  relay_end = env->GetMethodID(relay_class, "end", "(ILjava/lang/String;)V");
  if (exception_init == nullptr || event_init == nullptr || relay_event == nullptr ||
      relay_end == nullptr) {
    return JNI_ERR;
  }
  return JNI_VERSION_1_8;
}

JNIEXPORT jstring JNICALL Java_dev_mayday_sdk_Mayday_nativeVersion(JNIEnv* env, jclass) {
  return ToJava(env, mayday_version());
}

JNIEXPORT jlong JNICALL Java_dev_mayday_sdk_Mayday_nativeCreate(JNIEnv* env, jclass, jstring server,
                                                                jstring token, jstring data_dir,
                                                                jobject location_source) {
  const std::string server_text = ToUtf8(env, server);
  const std::string token_text = ToUtf8(env, token);
  const std::string dir_text = ToUtf8(env, data_dir);
  mayday_client_options options;
  mayday_client_options_init(&options);
  options.server = server_text.c_str();
  options.token = token_text.c_str();
  options.data_dir = data_dir == nullptr ? nullptr : dir_text.c_str();
  if (location_source != nullptr) {
    // The SDK owns the reference from here: it releases it, also if the
    // client is not made.
    options.current_location = CurrentLocation;
    options.current_location_user = env->NewGlobalRef(location_source);
    options.current_location_release = ReleaseLocationSource;
  }
  mayday_client* client = nullptr;
  if (const mayday_status status = mayday_client_create(&options, &client); status != MAYDAY_OK) {
    ThrowStatus(env, status);
    return 0;
  }
  return reinterpret_cast<jlong>(client);
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeDestroy(JNIEnv*, jclass, jlong client) {
  mayday_client_destroy(Client(client));
}

JNIEXPORT jstring JNICALL Java_dev_mayday_sdk_Mayday_nativeRaise(JNIEnv* env, jclass, jlong client,
                                                                 jint kind, jdouble latitude,
                                                                 jdouble longitude,
                                                                 jdouble accuracy, jstring note) {
  const std::string note_text = ToUtf8(env, note);
  char case_name[128];
  const mayday_status status =
      mayday_raise(Client(client), static_cast<mayday_kind>(kind), latitude, longitude, accuracy,
                   note == nullptr ? nullptr : note_text.c_str(), case_name, sizeof(case_name));
  if (status != MAYDAY_OK) {
    ThrowStatus(env, status);
    return nullptr;
  }
  return ToJava(env, case_name);
}

JNIEXPORT jstring JNICALL Java_dev_mayday_sdk_Mayday_nativeStartSafetyTimer(
    JNIEnv* env, jclass, jlong client, jint kind, jdouble latitude, jdouble longitude,
    jdouble accuracy, jstring note, jlong deadline_unix_seconds, jstring request_id) {
  const std::string note_text = ToUtf8(env, note);
  const std::string key = ToUtf8(env, request_id);
  char timer_name[128];
  const mayday_status status = mayday_start_safety_timer(
      Client(client), static_cast<mayday_kind>(kind), latitude, longitude, accuracy,
      note_text.c_str(), deadline_unix_seconds, request_id == nullptr ? nullptr : key.c_str(),
      timer_name, sizeof(timer_name));
  if (status != MAYDAY_OK) {
    ThrowStatus(env, status);
    return nullptr;
  }
  return ToJava(env, timer_name);
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeUpdateSafetyTimer(
    JNIEnv* env, jclass, jlong client, jstring timer_name, jdouble latitude, jdouble longitude,
    jdouble accuracy, jlong deadline_unix_seconds) {
  const std::string name = ToUtf8(env, timer_name);
  if (const mayday_status status = mayday_update_safety_timer(
          Client(client), name.c_str(), latitude, longitude, accuracy, deadline_unix_seconds);
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
  }
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeEndSafetyTimer(JNIEnv* env, jclass,
                                                                       jlong client,
                                                                       jstring timer_name,
                                                                       jstring pin) {
  const std::string name = ToUtf8(env, timer_name);
  const std::string typed = ToUtf8(env, pin);
  if (const mayday_status status =
          mayday_end_safety_timer(Client(client), name.c_str(), typed.c_str());
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
  }
}

JNIEXPORT jlong JNICALL Java_dev_mayday_sdk_Mayday_nativeWatch(JNIEnv* env, jclass, jlong client,
                                                               jstring case_name,
                                                               jlong after_sequence,
                                                               jobject relay) {
  const std::string name = ToUtf8(env, case_name);
  return StartWatch(env, relay, relay_end, [&](JniWatch* watch) {
    return mayday_watch_start(Client(client), name.c_str(), after_sequence, OnEvent, OnEnd, watch,
                              &watch->watch);
  });
}

JNIEXPORT jlong JNICALL Java_dev_mayday_sdk_Mayday_nativeWatchCrew(JNIEnv* env, jclass,
                                                                   jlong client, jstring case_name,
                                                                   jobject relay) {
  const std::string name = ToUtf8(env, case_name);
  return StartWatch(env, relay, crew_relay_end, [&](JniWatch* watch) {
    return mayday_watch_crew_start(Client(client), name.c_str(), OnCrew, OnEnd, watch,
                                   &watch->watch);
  });
}

JNIEXPORT jstring JNICALL Java_dev_mayday_sdk_Mayday_nativeGetMedicalProfile(JNIEnv* env, jclass,
                                                                             jlong client) {
  std::string json(kProfileJsonBytes, '\0');
  if (const mayday_status status =
          mayday_get_medical_profile(Client(client), json.data(), json.size());
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
    return nullptr;
  }
  return ToJava(env, json.c_str());
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeUpdateMedicalProfile(JNIEnv* env, jclass,
                                                                             jlong client,
                                                                             jstring json) {
  const std::string text = ToUtf8(env, json);
  if (const mayday_status status = mayday_update_medical_profile(Client(client), text.c_str());
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
  }
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeDeleteMedicalProfile(JNIEnv* env, jclass,
                                                                             jlong client) {
  if (const mayday_status status = mayday_delete_medical_profile(Client(client));
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
  }
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeWatchCancel(JNIEnv*, jclass, jlong watch) {
  mayday_watch_cancel(Watch(watch)->watch);
}

JNIEXPORT jboolean JNICALL Java_dev_mayday_sdk_Mayday_nativeWatchWait(JNIEnv*, jclass, jlong watch,
                                                                      jint timeout_ms) {
  return mayday_watch_wait(Watch(watch)->watch, timeout_ms) == 1 ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeWatchDestroy(JNIEnv* env, jclass,
                                                                     jlong handle) {
  JniWatch* watch = Watch(handle);
  mayday_watch_destroy(watch->watch);  // its end callback has run
  env->DeleteGlobalRef(watch->relay);
  delete watch;
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeCancel(JNIEnv* env, jclass, jlong client,
                                                               jstring case_name, jstring reason,
                                                               jstring pin) {
  const std::string name = ToUtf8(env, case_name);
  const std::string why = ToUtf8(env, reason);
  const std::string typed = ToUtf8(env, pin);
  if (const mayday_status status =
          mayday_cancel_case_with_pin(Client(client), name.c_str(), why.c_str(), typed.c_str());
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
  }
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeSetCancelPins(JNIEnv* env, jclass,
                                                                      jlong client,
                                                                      jstring current_pin,
                                                                      jstring cancel_pin,
                                                                      jstring duress_pin) {
  const std::string current = ToUtf8(env, current_pin);
  const std::string cancel = ToUtf8(env, cancel_pin);
  const std::string duress = ToUtf8(env, duress_pin);
  if (const mayday_status status =
          mayday_set_cancel_pins(Client(client), current.c_str(), cancel.c_str(), duress.c_str());
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
  }
}

JNIEXPORT jlong JNICALL Java_dev_mayday_sdk_Mayday_nativePostMessage(JNIEnv* env, jclass,
                                                                     jlong client,
                                                                     jstring case_name,
                                                                     jstring text) {
  const std::string name = ToUtf8(env, case_name);
  const std::string words = ToUtf8(env, text);
  int64_t sequence = 0;
  if (const mayday_status status =
          mayday_post_message(Client(client), name.c_str(), words.c_str(), &sequence);
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
    return 0;
  }
  return sequence;
}

JNIEXPORT void JNICALL Java_dev_mayday_sdk_Mayday_nativeRate(JNIEnv* env, jclass, jlong client,
                                                             jstring case_name, jint stars,
                                                             jstring comment) {
  const std::string name = ToUtf8(env, case_name);
  const std::string words = ToUtf8(env, comment);
  if (const mayday_status status =
          mayday_rate_case(Client(client), name.c_str(), stars, words.c_str());
      status != MAYDAY_OK) {
    ThrowStatus(env, status);
  }
}

}  // extern "C"
