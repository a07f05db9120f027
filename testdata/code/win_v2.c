#include <windows.h>
#include <winhttp.h>
__declspec(noinline) int report(void) {
  HINTERNET h = WinHttpOpen(L"agent", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, NULL, NULL, 0);
  HINTERNET c = WinHttpConnect(h, L"collect.example.net", 443, 0);
  return c != NULL;
}
__declspec(noinline) int helper(int x) { return x * 3 + 1; }
int main(int argc, char **argv) { if (argc > 5) report(); return helper(argc) + (int)GetTickCount(); }
