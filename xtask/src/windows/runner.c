/* The Windows e2e suite's parent process: Wine's own Unix exit status is lossy, so this runs a
 * command line, waits, and prints the child's full 32-bit exit code as `exit=0x%08lX`.
 *   runner CMDLINE...                  run and report
 *   runner --ctrl-c FILE CMDLINE...    when FILE appears, send Ctrl-C to the console
 *                                      (GenerateConsoleCtrlEvent), then report
 *   runner --kill FILE CMDLINE...      when FILE (a process id) appears, terminate the child
 *                                      (the proxy) and report whether that process id is still
 *                                      alive 5 s later: `grandchild=alive|gone`
 * Every wait is bounded (20 s), so a broken proxy fails the test instead of hanging it. */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static BOOL WINAPI ignore_ctrl(DWORD event) { (void)event; return TRUE; }

static int wait_for_file(const char *path, char *buf, size_t len) {
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, len - 1, f);
            fclose(f);
            buf[n] = 0;
            if (n > 0) return 1;
        }
        Sleep(100);
    }
    return 0;
}

int main(void) {
    /* Unbuffered: whatever happens to this process, what it printed reaches the suite. */
    setvbuf(stdout, NULL, _IONBF, 0);
    char *line = GetCommandLineA();
    /* Skip our own argv[0] (quoted or not) and the options. */
    int quoted = 0;
    while (*line && (quoted || (*line != ' ' && *line != '\t'))) { if (*line == '"') quoted = !quoted; line++; }
    while (*line == ' ' || *line == '\t') line++;
    const char *mode = NULL; char file[MAX_PATH] = "";
    if (strncmp(line, "--ctrl-c ", 9) == 0 || strncmp(line, "--kill ", 7) == 0) {
        mode = line[2] == 'c' ? "ctrl-c" : "kill";
        line = strchr(line, ' ') + 1;
        char *end = strchr(line, ' ');
        if (!end) { fprintf(stderr, "runner: no command line\n"); return 2; }
        size_t n = (size_t)(end - line);
        if (n >= sizeof file) n = sizeof file - 1;
        memcpy(file, line, n); file[n] = 0;
        line = end + 1;
    }
    /* Ctrl-C goes to every process on a console: with none (Wine started without a terminal),
     * make one, keeping our own output where it was. */
    if (mode && strcmp(mode, "ctrl-c") == 0 && !GetConsoleWindow()) {
        HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE), err = GetStdHandle(STD_ERROR_HANDLE);
        FreeConsole();
        if (!AllocConsole()) printf("runner: AllocConsole failed: %lu\n", GetLastError());
        SetStdHandle(STD_OUTPUT_HANDLE, out);
        SetStdHandle(STD_ERROR_HANDLE, err);
    }
    STARTUPINFOA si; PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si); si.cb = sizeof si;
    if (!CreateProcessA(NULL, line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        printf("runner: CreateProcess failed: %lu\n", GetLastError());
        return 2;
    }
    if (mode && strcmp(mode, "ctrl-c") == 0) {
        char buf[64];
        SetConsoleCtrlHandler(ignore_ctrl, TRUE);
        if (!wait_for_file(file, buf, sizeof buf)) printf("runner: %s never appeared\n", file);
        else if (!GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)) printf("runner: GenerateConsoleCtrlEvent failed: %lu\n", GetLastError());
        else printf("runner: sent ctrl-c\n");
    }
    if (mode && strcmp(mode, "kill") == 0) {
        char buf[64];
        if (!wait_for_file(file, buf, sizeof buf)) { printf("runner: %s never appeared\n", file); }
        else {
            DWORD pid = strtoul(buf, NULL, 10);
            HANDLE g = OpenProcess(SYNCHRONIZE, FALSE, pid);
            TerminateProcess(pi.hProcess, 1);
            WaitForSingleObject(pi.hProcess, 20000);
            if (!g) printf("grandchild=gone\n");
            else printf("grandchild=%s\n", WaitForSingleObject(g, 5000) == WAIT_OBJECT_0 ? "gone" : "alive");
        }
    }
    if (WaitForSingleObject(pi.hProcess, 20000) != WAIT_OBJECT_0) {
        printf("runner: the child did not exit within 20 s\n");
        TerminateProcess(pi.hProcess, 1);
        return 3;
    }
    DWORD code = 0;
    GetExitCodeProcess(pi.hProcess, &code);
    fflush(stdout);
    printf("exit=0x%08lX\n", code);
    return 0;
}
