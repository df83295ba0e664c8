/**
 * Unicode input as in VS Code: `\to` followed by a space (or any character that ends the
 * abbreviation, or another `\`) becomes `→`; an abbreviation that can only mean one
 * symbol (`\alpha`) is replaced as soon as it is typed. The logic and the table are those
 * of `@leanprover/unicode-input` (the package VS Code's Lean extension uses); this file is
 * the CodeMirror 6 text source it edits, active only where the language is Lean.
 */

import {
  AbbreviationConfig,
  AbbreviationProvider,
  AbbreviationRewriter,
  AbbreviationTextSource,
  Change,
  Range,
  SelectionMoveMode
} from '@leanprover/unicode-input';
import { EditorSelection, Extension, Prec, RangeSetBuilder } from '@codemirror/state';
import {
  Decoration,
  DecorationSet,
  EditorView,
  ViewPlugin,
  ViewUpdate,
  keymap
} from '@codemirror/view';

import { isLean } from './language';

/** VS Code's defaults (lean4.input.leader, lean4.input.eagerReplacementEnabled). */
const CONFIG: AbbreviationConfig = {
  abbreviationCharacter: '\\',
  customTranslations: {},
  eagerReplacementEnabled: true
};

let sharedProvider: AbbreviationProvider | null = null;

/** One provider for every editor: it caches lookups in the 1,800-entry table. */
function provider(): AbbreviationProvider {
  if (sharedProvider === null) {
    sharedProvider = new AbbreviationProvider(CONFIG);
  }
  return sharedProvider;
}

const typedAbbreviation = Decoration.mark({ class: 'lean-abbreviation' });

class LeanInput implements AbbreviationTextSource {
  decorations: DecorationSet = Decoration.none;
  private readonly rewriter: AbbreviationRewriter;
  private active: boolean;
  private updating = false;

  constructor(private readonly view: EditorView) {
    this.rewriter = new AbbreviationRewriter(CONFIG, provider(), this);
    this.active = isLean(view.state);
  }

  update(update: ViewUpdate): void {
    const active = isLean(update.state);
    if (active !== this.active) {
      this.active = active;
      this.rewriter.resetTrackedAbbreviations();
    }
    if (active) {
      this.updating = true;
      try {
        if (update.docChanged) {
          const changes: Change[] = [];
          update.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
            changes.push({ range: new Range(fromA, toA - fromA), newText: inserted.toString() });
          });
          this.rewriter.changeInput(changes);
          void this.rewriter.triggerAbbreviationReplacement();
        }
        if (update.selectionSet) {
          void this.rewriter.changeSelections(this.collectSelections());
        }
      } finally {
        this.updating = false;
      }
    }
    this.decorations = this.buildDecorations();
  }

  /** Replace every abbreviation still being typed, e.g. before the cell runs. */
  flush(): void {
    if (this.active) {
      void this.rewriter.replaceAllTrackedAbbreviations();
    }
  }

  private buildDecorations(): DecorationSet {
    const tracked = [...this.rewriter.getTrackedAbbreviations()]
      .map(a => a.range)
      .filter(r => r.length > 0 && r.offset + r.length <= this.view.state.doc.length)
      .sort((a, b) => a.offset - b.offset);
    const builder = new RangeSetBuilder<Decoration>();
    for (const r of tracked) {
      builder.add(r.offset, r.offset + r.length, typedAbbreviation);
    }
    return builder.finish();
  }

  // -- AbbreviationTextSource

  async replaceAbbreviations(changes: Change[]): Promise<boolean> {
    // CodeMirror forbids a dispatch while it is applying an update; the rewriter is called
    // from one, so the edit waits for the update to finish (a microtask, before any input).
    const doc = this.view.state.doc;
    if (this.updating) {
      await Promise.resolve();
    }
    if (this.view.state.doc !== doc) {
      return false; // the text moved under us: the rewriter keeps the abbreviations and retries
    }
    this.view.dispatch({
      changes: changes.map(c => ({
        from: c.range.offset,
        to: c.range.offset + c.range.length,
        insert: c.newText
      })),
      userEvent: 'input.lean-abbreviation'
    });
    return true;
  }

  selectionMoveMode(): SelectionMoveMode {
    return { kind: 'OnlyMoveCursorSelections', updateUnchangedSelections: false };
  }

  collectSelections(): Range[] {
    return this.view.state.selection.ranges.map(r => new Range(r.from, r.to - r.from));
  }

  setSelections(selections: Range[]): void {
    const doc = this.view.state.doc.length;
    const ranges = selections.map(s =>
      EditorSelection.range(Math.min(s.offset, doc), Math.min(s.offset + s.length, doc))
    );
    if (ranges.length > 0) {
      this.view.dispatch({ selection: EditorSelection.create(ranges) });
    }
  }
}

const leanInput = ViewPlugin.fromClass(LeanInput, { decorations: v => v.decorations });

/** Before a cell runs (Shift/Ctrl/Alt-Enter), an abbreviation still being typed is replaced. */
function flushBeforeRun(view: EditorView): boolean {
  view.plugin(leanInput)?.flush();
  return false; // let JupyterLab run the cell
}

export const leanAbbreviations: Extension = [
  leanInput,
  Prec.highest(
    keymap.of(['Shift-Enter', 'Mod-Enter', 'Alt-Enter'].map(key => ({ key, run: flushBeforeRun })))
  ),
  EditorView.baseTheme({ '.lean-abbreviation': { textDecoration: 'underline' } })
];
