"use strict";
module.exports = require("./build/Release/kernels.node");
