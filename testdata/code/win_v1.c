#include <windows.h>
__declspec(noinline) int helper(int x) { return x * 3 + 1; }
int main(int argc, char **argv) { return helper(argc) + (int)GetTickCount(); }
