#ifndef STREAMQ_CEDITLINE_SHIM_H
#define STREAMQ_CEDITLINE_SHIM_H
#include <stdio.h>
#include <editline/readline.h>

/* libedit's readline interface keeps its settings in global variables, which Swift 6 refuses to
   touch; these accessors set and read them. The line editor calls them from its one thread. */

/// Initialises libedit for `streamq sql` (reading ~/.editrc under the name "streamq"), with
/// `complete` as the Tab completion, `word_breaks` as the characters that end a word, and Ctrl-R
/// bound to incremental history search.
static inline void streamq_editline_initialize(rl_completion_func_t *complete, const char *word_breaks) {
    rl_readline_name = "streamq";
    rl_initialize();
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = word_breaks;
    rl_parse_and_bind("bind ^R em-inc-search-prev");
}

/// The line being edited (during completion).
static inline const char *streamq_editline_buffer(void) { return rl_line_buffer; }

/// Tells libedit not to fall back to completing file names.
static inline void streamq_editline_completion_done(void) { rl_attempted_completion_over = 1; }
#endif
