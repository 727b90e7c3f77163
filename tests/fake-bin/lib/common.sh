# Shared helpers for the dockhand fake tools (POSIX sh; sourced, not executed).
#
# Environment understood by every fake:
#   FAKE_LOG          append argv (argv[0] basename, then one argument per line, then the
#                     line "--- end argv ---") and stdin ("--- stdin ---" ... "--- end stdin ---")
#   FAKE_ANSWER_FILE  file whose content replaces the canned answer body
#   FAKE_FLOOD_BYTES  bytes written to stderr by the "flood" modes (default 8 MiB)

FAKE_DIR=$(CDPATH= cd -- "$(dirname -- "${FAKE_SELF:-$0}")" && pwd)
FIXTURES="$FAKE_DIR/../fixtures/tool-output"

fake_log_argv() {
    [ -n "${FAKE_LOG:-}" ] || return 0
    {
        printf '%s\n' "$FAKE_NAME"
        # One line per argument; newlines inside an argument become \037 (unit separator).
        for fake_arg in "$@"; do
            printf '%s' "$fake_arg" | tr '\n' '\037'
            printf '\n'
        done
        printf '%s\n' '--- end argv ---'
    } >>"$FAKE_LOG"
}

# Copy stdin into the log (only when logging and stdin is not a terminal).
fake_log_stdin() {
    [ -n "${FAKE_LOG:-}" ] || return 0
    if [ -t 0 ]; then
        printf '%s\n' '--- stdin: terminal, not read ---' >>"$FAKE_LOG"
        return 0
    fi
    printf '%s\n' '--- stdin ---' >>"$FAKE_LOG"
    cat >>"$FAKE_LOG"
    printf '\n%s\n' '--- end stdin ---' >>"$FAKE_LOG"
}

fake_note() {
    [ -n "${FAKE_LOG:-}" ] || return 0
    printf '%s\n' "$*" >>"$FAKE_LOG"
}

# Print the answer body: FAKE_ANSWER_FILE if set, else the given fixture.
fake_answer() {
    if [ -n "${FAKE_ANSWER_FILE:-}" ]; then
        cat "$FAKE_ANSWER_FILE"
    else
        cat "$FIXTURES/$1"
    fi
}

# Several MB of log noise on stderr (line-based, like a chatty Go program).
fake_flood_stderr() {
    awk -v n="${FAKE_FLOOD_BYTES:-8388608}" 'BEGIN {
        line = "time=2025-08-02T10:15:20Z level=WARN msg=\"retrying model call\" attempt=3 backoff=250ms component=llm"
        c = 0
        while (c < n) { print line; c += length(line) + 1 }
    }' >&2
}

# Hang like a stuck tool: a grandchild sleeps, the fake waits for it.
fake_hang() {
    sh -c 'sleep 600' &
    wait
}

# The last argument (the prompt, for tools that take it last).
fake_last_arg() {
    fake_last=
    for fake_arg in "$@"; do
        fake_last=$fake_arg
    done
    printf '%s' "$fake_last"
}

# stdin -> one JSON string literal (quotes included).
fake_json_string() {
    awk '
    function esc(s,   out, i, c) {
        out = ""
        for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (c == "\\") out = out "\\\\"
            else if (c == "\"") out = out "\\\""
            else if (c == "\t") out = out "\\t"
            else if (c == "\r") out = out "\\r"
            else if (c == "\033") out = out "\\u001b"
            else out = out c
        }
        return out
    }
    BEGIN { printf "\"" }
    { if (NR > 1) printf "\\n"; printf "%s", esc($0) }
    END { if (NR > 0) printf "\\n"; printf "\"" }'
}
