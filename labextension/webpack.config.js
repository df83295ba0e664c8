// Module ids by order, not by a hash of the module's identifier: the container entry's
// identifier holds the absolute path of lib/index.js, so hashed ids would change with the
// folder the repository is checked out in, and .ci/run compares the build with the
// committed files.
module.exports = {
  optimization: { moduleIds: 'natural' }
};
