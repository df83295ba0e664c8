/**
 * Lean 4 for CodeMirror 6: a stream tokenizer (keywords, tactics, nested comments,
 * strings, numbers, `#commands`, attributes) and the switch that gives a Python cell
 * starting with `%%lean` this language instead of Python's.
 */

import {
  LanguageSupport,
  StreamLanguage,
  StringStream,
  language
} from '@codemirror/language';
import { Compartment, EditorState, Extension, Prec, Text } from '@codemirror/state';
import { EditorView, ViewPlugin } from '@codemirror/view';

import words from './words.json';

export const LEAN_LANGUAGE_NAME = 'lean4';

const KEYWORDS = new Set(words.keywords);
const TACTICS = new Set(words.tactics);

// Lean's identifier characters (Init/Meta.lean: isLetterLike, isSubScriptAlnum, isIdFirst,
// isIdRest): Greek except λ Π Σ, Coptic, polytonic Greek, the letter-like block (ℕ ℤ ℝ),
// mathematical script letters, subscripts.
const LETTER_LIKE =
  '\\u03b1-\\u03ba\\u03bc-\\u03c9\\u0391-\\u039f\\u03a1\\u03a2\\u03a4-\\u03a9' +
  '\\u03ca-\\u03fb\\u1f00-\\u1ffe\\u2100-\\u214f\\u{1d49c}-\\u{1d59f}';
const SUBSCRIPT = '\\u2080-\\u2089\\u2090-\\u209c\\u1d62-\\u1d6a\\u2c7c';
const ID_FIRST = `A-Za-z_${LETTER_LIKE}`;
const ID_REST = `${ID_FIRST}0-9'!?${SUBSCRIPT}`;
const NAME_PART = `(?:[${ID_FIRST}][${ID_REST}]*|«[^»\\n]*»)`;
const NAME = new RegExp(`^${NAME_PART}(?:\\.${NAME_PART})*`, 'u');
const ID_REST_CHAR = new RegExp(`[${ID_REST}]`, 'u');
const HASH_COMMAND = /^#[A-Za-z_][A-Za-z0-9_]*/;
const NUMBER =
  /^(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/;
const CHAR_LITERAL = /^'(?:\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)|[^'\\\n])'/u;
const OPERATOR = /^[-+*/%^=<>!&|~:;,.$@?∘∧∨¬↔→←↦⁻×·∣≤≥≠≈≡∈∉⊆⊂∪∩∑∏∀∃λΠΣ⊢]+/u;
const BRACKET = /^[()[\]{}⟨⟩⦃⦄⟦⟧‹›]/u;

interface LeanState {
  /** Depth of nested block comments (`/- /- -/ -/`); 0 outside comments. */
  commentDepth: number;
  /** Inside a string literal: a plain `"…"` one with escapes, or a raw `r#"…"#` one. */
  string: 'none' | 'plain' | 'raw';
  /** The number of `#` that close the current raw string. */
  rawHashes: number;
  /** Bracket depth inside an attribute `@[…]`; 0 outside. */
  attributeDepth: number;
}

function blockComment(stream: StringStream, state: LeanState): string {
  while (!stream.eol()) {
    if (stream.match('/-')) {
      state.commentDepth++;
    } else if (stream.match('-/')) {
      state.commentDepth--;
      if (state.commentDepth === 0) {
        break;
      }
    } else {
      stream.next();
    }
  }
  return 'comment';
}

function stringBody(stream: StringStream, state: LeanState): string {
  const raw = state.string === 'raw';
  const closing = raw ? '"' + '#'.repeat(state.rawHashes) : '"';
  while (!stream.eol()) {
    if (!raw && stream.peek() === '\\') {
      stream.next();
      stream.next();
    } else if (stream.match(closing)) {
      state.string = 'none';
      break;
    } else {
      stream.next();
    }
  }
  return 'string';
}

function attributeBody(stream: StringStream, state: LeanState): string {
  while (!stream.eol()) {
    const ch = stream.next();
    if (ch === '[') {
      state.attributeDepth++;
    } else if (ch === ']') {
      state.attributeDepth--;
      if (state.attributeDepth === 0) {
        break;
      }
    }
  }
  return 'meta';
}

function token(stream: StringStream, state: LeanState): string | null {
  if (state.commentDepth > 0) {
    return blockComment(stream, state);
  }
  if (state.string !== 'none') {
    return stringBody(stream, state);
  }
  if (state.attributeDepth > 0) {
    return attributeBody(stream, state);
  }
  // A magic line (`%%lean --fresh`, the kernel's `%proofstate`) is not Lean.
  if (stream.sol() && stream.peek() === '%') {
    stream.skipToEnd();
    return 'meta';
  }
  if (stream.eatSpace()) {
    return null;
  }
  if (stream.match('--')) {
    stream.skipToEnd();
    return 'comment';
  }
  if (stream.match('/-')) {
    state.commentDepth = 1;
    return blockComment(stream, state);
  }
  const before = stream.pos > 0 ? stream.string.charAt(stream.pos - 1) : '';
  const afterName = before !== '' && ID_REST_CHAR.test(before);
  if (stream.match('"')) {
    state.string = 'plain';
    return stringBody(stream, state);
  }
  const rawString = afterName ? null : stream.match(/^r(#*)"/);
  if (rawString) {
    state.string = 'raw';
    state.rawHashes = (rawString as RegExpMatchArray)[1].length;
    return stringBody(stream, state);
  }
  if (!afterName && stream.match(CHAR_LITERAL)) {
    return 'string';
  }
  if (stream.match('@[')) {
    state.attributeDepth = 1;
    return attributeBody(stream, state);
  }
  if (!afterName && stream.match(NUMBER)) {
    return 'number';
  }
  if (stream.match(HASH_COMMAND)) {
    return 'keyword';
  }
  const name = stream.match(NAME);
  if (name) {
    const text = (name as RegExpMatchArray)[0];
    if (KEYWORDS.has(text)) {
      return 'keyword';
    }
    if (TACTICS.has(text)) {
      return 'builtin';
    }
    return 'variable';
  }
  if (stream.match(BRACKET)) {
    return 'bracket';
  }
  if (stream.match(OPERATOR)) {
    return 'operator';
  }
  stream.next();
  return null;
}

export const leanLanguage = StreamLanguage.define<LeanState>({
  name: LEAN_LANGUAGE_NAME,
  startState: () => ({ commentDepth: 0, string: 'none', rawHashes: 0, attributeDepth: 0 }),
  copyState: state => ({ ...state }),
  token,
  languageData: {
    commentTokens: { line: '--', block: { open: '/-', close: '-/' } },
    // Not `'`: it is also the prime of names such as `h'`.
    closeBrackets: { brackets: ['(', '[', '{', '"'] }
  }
});

export const leanSupport = new LanguageSupport(leanLanguage);

/** Whether the editor's active language is ours (a kernel cell, a .lean file, a `%%lean` cell). */
export function isLean(state: EditorState): boolean {
  return state.facet(language)?.name === LEAN_LANGUAGE_NAME;
}

/**
 * Whether a cell is a `%%lean` cell: IPython reads a cell magic on the first line, after
 * blank lines (which it drops).
 */
export function startsWithLeanMagic(doc: Text): boolean {
  for (let n = 1; n <= doc.lines; n++) {
    const text = doc.line(n).text;
    if (text.trim() !== '') {
      return /^%%lean(\s|$)/.test(text);
    }
  }
  return false;
}

const leanMagicLanguage = new Compartment();

function hasLeanMagicLanguage(state: EditorState): boolean {
  return leanMagicLanguage.get(state) === leanLanguage;
}

function setLeanMagicLanguage(lean: boolean) {
  return leanMagicLanguage.reconfigure(lean ? leanLanguage : []);
}

/**
 * For every editor: while the text starts with `%%lean`, Lean is the active language.
 * The `language` facet takes its highest-precedence value, so this overrides the notebook's
 * language (Python) without touching JupyterLab's own language setting, and gives it back
 * when the first line changes. (A compartment, switched as the text changes, rather than a
 * computed facet value: the language facet must not be given an empty value.)
 */
export const leanMagicCells: Extension = [
  Prec.highest(leanMagicLanguage.of([])),
  EditorState.transactionExtender.of(tr => {
    if (!tr.docChanged) {
      return null;
    }
    const lean = startsWithLeanMagic(tr.newDoc);
    return lean === hasLeanMagicLanguage(tr.startState)
      ? null
      : { effects: setLeanMagicLanguage(lean) };
  }),
  // An editor created with its text already in place (an opened notebook) had no change to
  // react to; a plugin may not dispatch while the view is being built, hence the microtask.
  ViewPlugin.fromClass(
    class {
      private live = true;
      constructor(view: EditorView) {
        if (startsWithLeanMagic(view.state.doc) && !hasLeanMagicLanguage(view.state)) {
          void Promise.resolve().then(() => {
            if (this.live && startsWithLeanMagic(view.state.doc) && !hasLeanMagicLanguage(view.state)) {
              view.dispatch({ effects: setLeanMagicLanguage(true) });
            }
          });
        }
      }
      destroy() {
        this.live = false;
      }
    }
  )
];
