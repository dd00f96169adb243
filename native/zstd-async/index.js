"use strict";
module.exports = require("./build/Release/zstd_async.node");
