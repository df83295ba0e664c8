// The labextension builder reads JupyterLab's core package data (shared and singleton
// packages) from <core-path>/package.json. It comes from the pinned @jupyterlab/core-meta
// devDependency, so the built files depend on package-lock.json only, not on the
// JupyterLab installed in Python.
const fs = require('fs');
const path = require('path');

const target = path.join(__dirname, 'build', 'core');
fs.mkdirSync(target, { recursive: true });
fs.copyFileSync(
  require.resolve('@jupyterlab/core-meta/core.package.json'),
  path.join(target, 'package.json')
);
