// What Swift's `import Mayday` resolves through sdk/include/mayday/
// module.modulemap, checked with Clang's modules (the same machinery Swift
// uses): the module is found by name and gives the C ABI's functions and
// types. Compiled with -fsyntax-only -Werror by ctest; nothing runs.
@import Mayday;

int main(void) {
  mayday_client_options options;
  mayday_client_options_init(&options);
  options.server = "127.0.0.1:7433";
  mayday_client* client = 0;
  mayday_status status = mayday_client_create(&options, &client);
  mayday_case* c = 0;
  if (status == MAYDAY_OK) status = mayday_get_case(client, "cases/x", &c);
  mayday_case_free(c);
  mayday_client_destroy(client);
  return status == MAYDAY_OK && mayday_version()[0] != '\0' ? 0 : 1;
}
