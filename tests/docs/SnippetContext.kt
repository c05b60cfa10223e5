// What a reader of docs/sdk.md's Kotlin example already has in an Android
// activity: the names it uses without declaring them (tests/docs/snippets.py).
import java.io.File
import java.util.concurrent.Executor

open class SnippetContext {
  // Android's Context.filesDir: the app's private directory.
  val filesDir = File(System.getProperty("java.io.tmpdir"))
  val token = "token"
  val lat = 52.37
  val lon = 4.90
  val accuracy = 10.0
  val timeline = mutableListOf<String>()
}

// androidx.core.content.ContextCompat, as far as the example uses it: the
// JVM has no main looper, so listeners run on the caller's thread.
object ContextCompat {
  fun getMainExecutor(@Suppress("UNUSED_PARAMETER") context: Any): Executor = Executor { it.run() }
}
