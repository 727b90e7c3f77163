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

# Markdown on stdin -> what GoogleCloudPlatform/kubectl-ai prints in a pipe: glamour's
# "notty" style. Fences vanish, code sits 4 spaces in, prose 2; every line is padded with
# spaces to 78 columns; a longer line is wrapped (at the last space, or after one of
# ,.;-+| , else hard at the edge) and continues at the 2-space margin. The rendered message
# is wrapped in green/reset escapes, each on its own line, as its terminal UI does.
fake_glamour() {
    awk -v W="${FAKE_GLAMOUR_WIDTH:-78}" '
    function pad(s) { while (length(s) < W) s = s " "; return s }
    function emit(prefix, text,   line, cut, i, c, rest) {
        line = prefix text
        while (length(line) > W) {
            cut = 0
            for (i = W; i > length(prefix) + 1; i--) {
                c = substr(line, i, 1)
                if (c == " ") { cut = i; break }
                if (index(",.;-+|", c) > 0) { cut = i; break }
            }
            if (cut == 0) {
                print substr(line, 1, W)
                rest = substr(line, W + 1)
            } else if (substr(line, cut, 1) == " ") {
                print pad(substr(line, 1, cut - 1))
                rest = substr(line, cut + 1)
            } else {
                print pad(substr(line, 1, cut))
                rest = substr(line, cut + 1)
            }
            prefix = "  "
            line = prefix rest
        }
        print pad(line)
    }
    BEGIN { printf "\033[32m\n"; infence = 0 }
    /^[ \t]*(```|~~~)/ {
        if (infence) { infence = 0; print pad("") } else { infence = 1; print pad("") }
        next
    }
    {
        if (infence) { emit("    ", $0); next }
        if ($0 ~ /^[ \t]*$/) { print pad(""); next }
        emit("  ", $0)
    }
    END { printf "\n\033[0m" }'
}

# One tool call as kubectl-ai prints it: green, "Running: <command>", reset. The command is
# printed raw: a heredoc in it lands at column 0.
fake_running() {
    printf '\033[32m\n  Running: %s\n\033[0m' "$1"
}

# kubectl-ai's --trace-path file: a YAML stream of journal events (sigs.k8s.io/yaml, keys
# sorted), each followed by "\n\n---\n\n". The model's raw answers are the bodies of the
# http.response events (Gemini's generateContent JSON): first a function call, then, after
# the tool-request / tool-response pair, the markdown answer ($2, a file), unrendered.
fake_kubectl_ai_trace() {
    fake_trace_text=$(fake_json_string <"$2")
    {
        printf 'action: http.request\npayload:\n  request: "POST /v1beta/models/gemini-2.5-pro:generateContent HTTP/1.1\\r\\nHost: generativelanguage.googleapis.com\\r\\n\\r\\n"\ntimestamp: "2025-08-02T10:15:20.101Z"\n\n\n---\n\n'
        printf 'action: http.response\npayload:\n  body: |\n    {\n      "candidates": [\n        {\n          "content": {\n            "parts": [\n              {\n                "functionCall": {\n                  "args": {\n                    "command": "kubectl get deployments -n default"\n                  },\n                  "name": "kubectl"\n                }\n              }\n            ],\n            "role": "model"\n          },\n          "finishReason": "STOP"\n        }\n      ]\n    }\n  headers:\n    Content-Type:\n    - application/json; charset=UTF-8\n  status: 200 OK\ntimestamp: "2025-08-02T10:15:22.412Z"\n\n\n---\n\n'
        printf 'action: tool-request\npayload:\n  arguments:\n    command: kubectl get deployments -n default\n  id: 6c1f0d1e-2b7a-4d8e-9f00-1a2b3c4d5e6f\n  name: kubectl\ntimestamp: "2025-08-02T10:15:22.415Z"\n\n\n---\n\n'
        printf 'action: tool-response\npayload:\n  id: 6c1f0d1e-2b7a-4d8e-9f00-1a2b3c4d5e6f\n  response:\n    stderr: ""\n    stdout: |\n      No resources found in default namespace.\ntimestamp: "2025-08-02T10:15:23.001Z"\n\n\n---\n\n'
        printf 'action: http.response\npayload:\n  body: |\n    {\n      "candidates": [\n        {\n          "content": {\n            "parts": [\n              {\n                "text": %s\n              }\n            ],\n            "role": "model"\n          },\n          "finishReason": "STOP"\n        }\n      ],\n      "modelVersion": "gemini-2.5-pro"\n    }\n  headers:\n    Content-Type:\n    - application/json; charset=UTF-8\n  status: 200 OK\ntimestamp: "2025-08-02T10:15:31.877Z"\n\n\n---\n\n' "$fake_trace_text"
    } >"$1"
}
