/* A fake Go SDK's bin\go.exe (and gofmt.exe) for the Windows e2e suite: a real .exe, as the
 * proxy needs. It tells the test what it was run as and can end in every way the proxy must
 * pass on:
 *   version            prints `go version <VERSION's first line> windows/amd64` and GOROOT=...
 *   exit N             exits with N (decimal or 0x...: all 32 bits)
 *   crash              an access violation (0xC0000005)
 *   ctrl-c FILE CODE   writes FILE, waits for Ctrl-C (20 s at most), then exits with CODE
 *   wait FILE          writes FILE, then sleeps 20 s with Windows' own Ctrl-C handling
 *   sleep FILE         writes its process id to FILE, then sleeps 30 s */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long ctrl_code;
static volatile LONG got_ctrl;

static BOOL WINAPI on_ctrl(DWORD event) {
    (void)event;
    InterlockedExchange(&got_ctrl, 1);
    return TRUE;
}

static LONG WINAPI crash_filter(EXCEPTION_POINTERS *e) {
    (void)e;
    return EXCEPTION_EXECUTE_HANDLER;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

int main(int argc, char **argv) {
    char exe[MAX_PATH], version[256] = "unknown";
    GetModuleFileNameA(NULL, exe, MAX_PATH);
    for (int up = 0; up < 2; up++) { char *s = strrchr(exe, '\\'); if (s) *s = 0; }
    char vfile[MAX_PATH + 16];
    snprintf(vfile, sizeof vfile, "%s\\VERSION", exe);
    FILE *vf = fopen(vfile, "r");
    if (vf) { if (fgets(version, sizeof version, vf)) version[strcspn(version, "\r\n")] = 0; fclose(vf); }
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "version") == 0) {
        const char *goroot = getenv("GOROOT");
        printf("go version %s windows/amd64\n", version);
        printf("GOROOT=%s\n", goroot ? goroot : "");
        const char *tc = getenv("GOTOOLCHAIN");
        printf("GOTOOLCHAIN=%s\n", tc ? tc : "");
        for (int i = 2; i < argc; i++) printf("arg=%s\n", argv[i]);
        return 0;
    }
    if (strcmp(cmd, "exit") == 0 && argc > 2) {
        fflush(stdout);
        ExitProcess((UINT)strtoul(argv[2], NULL, 0));
    }
    if (strcmp(cmd, "crash") == 0) {
        /* End with the exception's code, as Windows does, without Wine's debugger. */
        SetUnhandledExceptionFilter(crash_filter);
        volatile int *p = NULL;
        *p = 1;
        return 0;
    }
    if (strcmp(cmd, "ctrl-c") == 0 && argc > 3) {
        ctrl_code = strtoul(argv[3], NULL, 0);
        SetConsoleCtrlHandler(on_ctrl, TRUE);
        write_file(argv[2], "ready");
        for (int i = 0; i < 200 && !got_ctrl; i++) Sleep(100);
        ExitProcess(got_ctrl ? (UINT)ctrl_code : 99);
    }
    if (strcmp(cmd, "wait") == 0 && argc > 2) {
        write_file(argv[2], "ready");
        Sleep(20000);
        return 99;
    }
    if (strcmp(cmd, "sleep") == 0 && argc > 2) {
        char pid[32];
        snprintf(pid, sizeof pid, "%lu", GetCurrentProcessId());
        write_file(argv[2], pid);
        Sleep(30000);
        return 0;
    }
    fprintf(stderr, "fakego: unknown command `%s`\n", cmd);
    return 2;
}
