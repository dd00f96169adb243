"use strict";
module.exports = require("./build/Release/malloc_tuning.node");
