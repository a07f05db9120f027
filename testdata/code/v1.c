/* The old program: helper is the function that will only move. */
#include <stdio.h>
__attribute__((noinline)) int helper(int x) { printf("helper %d\n", x); return x * 3 + 1; }
int main(int argc, char **argv) { printf("hello %d\n", helper(argc)); return 0; }
