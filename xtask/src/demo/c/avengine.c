/* ExampleAV scan engine: the fictional demo vendor's engine binary.
 * Built by `cargo run -p xtask -- demo --rebuild-binaries`; 1.1.0 is the
 * same source compiled with -DAVENGINE_1_1 (heuristics, a third pattern). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef AVENGINE_1_1
#define AVENGINE_VERSION "1.1.0"
#else
#define AVENGINE_VERSION "1.0.0"
#endif

static const char banner[] = "ExampleAV scan engine " AVENGINE_VERSION;
static const char update_url[] = "https://updates.exampleav.invalid/engine/";

struct pattern {
    const char *name;
    const char *bytes;
};

static const struct pattern builtin[] = {
    {"Demo.TestPattern", "EXAMPLEAV-HARMLESS-TEST-PATTERN"},
    {"Demo.Dropper.A", "dropper-stage-one"},
#ifdef AVENGINE_1_1
    {"Demo.Macro.B", "AutoOpenDemoMacro"},
#endif
};

int scan_buffer(const char *buf, size_t len, const char **hit)
{
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        size_t n = strlen(builtin[i].bytes);
        for (size_t off = 0; n <= len && off <= len - n; off++) {
            if (memcmp(buf + off, builtin[i].bytes, n) == 0) {
                *hit = builtin[i].name;
                return 1;
            }
        }
    }
    return 0;
}

#ifdef AVENGINE_1_1
/* Share of non-printable bytes, in percent: packed payloads score high. */
int heuristic_score(const char *buf, size_t len)
{
    size_t odd = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c > 0x7e)
            odd++;
    }
    return len ? (int)(odd * 100 / len) : 0;
}
#endif

static int scan_file(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 2;
    }
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const char *hit = NULL;
    if (scan_buffer(buf, len, &hit)) {
        printf("%s: FOUND %s\n", path, hit);
        return 1;
    }
#ifdef AVENGINE_1_1
    int score = heuristic_score(buf, len);
    if (score >= 70) {
        printf("%s: SUSPICIOUS (heuristic score %d)\n", path, score);
        return 1;
    }
#endif
    printf("%s: OK\n", path);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("%s\nupdates: %s\n", banner, update_url);
        return 0;
    }
    int worst = 0;
    for (int i = 1; i < argc; i++) {
        int r = scan_file(argv[i]);
        if (r > worst)
            worst = r;
    }
    return worst;
}
