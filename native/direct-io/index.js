"use strict";
module.exports = require("./build/Release/direct_io.node");
