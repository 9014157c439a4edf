'use strict';

/**
 * Job step custom.TidingsAbandonedBaskets (steptypes.json): sends basket.abandoned for every
 * tracked basket idle for AbandonedAfterMinutes, once. Run it every 15 minutes (deploy/sfcc/jobs.xml).
 */

var CustomObjectMgr = require('dw/object/CustomObjectMgr');
var Transaction = require('dw/system/Transaction');
var Status = require('dw/system/Status');
var URLUtils = require('dw/web/URLUtils');
var webhook = require('../tidings/webhook');
var baskets = require('../hooks/basketHooks');

/**
 * @param {Object} parameters - the step's parameters (AbandonedAfterMinutes)
 * @returns {dw.system.Status} OK with the number sent, or ERROR when some could not be sent
 */
function execute(parameters) {
    var minutes = Number(parameters.AbandonedAfterMinutes) || 60;
    var cutoff = new Date(Date.now() - minutes * 60 * 1000);
    var idle = CustomObjectMgr.queryCustomObjects(
        baskets.TYPE, 'custom.notified != {0} AND custom.lastActivity < {1}', 'custom.lastActivity asc', true, cutoff
    );
    var sent = 0;
    var failed = 0;
    try {
        while (idle.hasNext()) {
            var object = idle.next();
            var data = JSON.parse(object.custom.payload);
            data.c_checkoutUrl = data.c_checkoutUrl || URLUtils.https('Cart-Show').toString();
            var eventId = 'basket.abandoned:' + data.basket_id + ':' + object.custom.lastActivity.getTime();
            if (webhook.send('basket.abandoned', data, eventId)) {
                Transaction.wrap(function () {
                    object.custom.notified = true;
                });
                sent += 1;
            } else {
                failed += 1; // left unnotified: the next run tries again
            }
        }
    } finally {
        idle.close();
    }
    var message = sent + ' abandoned baskets sent, ' + failed + ' to retry';
    return failed ? new Status(Status.ERROR, 'ERROR', message) : new Status(Status.OK, 'OK', message);
}

module.exports = {
    execute: execute
};
