/**
 * JupyterLab 4 plugin: Lean 4 highlighting and Unicode abbreviations.
 *
 * - The Lean 4 kernel's cells: its language_info names `lean4` (mime text/x-lean4), which
 *   this plugin registers as a CodeMirror language; `.lean` files get it too.
 * - Any notebook: a cell whose first line is `%%lean` is edited as Lean.
 * - Wherever the language is Lean, `\to ` becomes `→` as you type (see abbreviations.ts).
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  EditorExtensionRegistry,
  IEditorExtensionRegistry,
  IEditorLanguageRegistry
} from '@jupyterlab/codemirror';

import { leanAbbreviations } from './abbreviations';
import { LEAN_LANGUAGE_NAME, leanMagicCells, leanSupport } from './language';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'lean-kernel-jupyterlab:plugin',
  description: 'Lean 4 highlighting and \\to → → abbreviations for Lean 4 kernel cells and %%lean cells.',
  autoStart: true,
  requires: [IEditorLanguageRegistry, IEditorExtensionRegistry],
  activate: (
    _app: JupyterFrontEnd,
    languages: IEditorLanguageRegistry,
    extensions: IEditorExtensionRegistry
  ) => {
    try {
      languages.addLanguage({
        name: LEAN_LANGUAGE_NAME,
        displayName: 'Lean 4',
        alias: ['lean'],
        mime: 'text/x-lean4',
        extensions: ['lean'],
        support: leanSupport
      });
    } catch (error) {
      // Another extension registered Lean 4 first: keep its highlighting, add the rest.
      console.warn(`lean-kernel-jupyterlab: Lean 4 highlighting not registered: ${error}`);
    }
    extensions.addExtension({
      name: 'lean-kernel-jupyterlab:lean',
      factory: () =>
        EditorExtensionRegistry.createImmutableExtension([leanMagicCells, leanAbbreviations])
    });
  }
};

export default plugin;
