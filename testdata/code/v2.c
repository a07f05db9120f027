/* The new program: upload_metrics is inserted before helper (so helper
   moves) and main calls it. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
__attribute__((noinline)) int upload_metrics(void) {
  const char *url = "https://collect.example.net/upload";
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a; memset(&a, 0, sizeof a); a.sin_family = AF_INET; a.sin_port = htons(443);
  int r = connect(s, (struct sockaddr *)&a, sizeof a);
  if (r == 0) write(s, url, strlen(url));
  close(s); return r;
}
__attribute__((noinline)) int helper(int x) { printf("helper %d\n", x); return x * 3 + 1; }
int main(int argc, char **argv) { if (argc > 5) upload_metrics(); printf("hello %d\n", helper(argc)); return 0; }
