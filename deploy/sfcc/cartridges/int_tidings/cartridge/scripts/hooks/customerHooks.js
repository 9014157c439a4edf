'use strict';

/**
 * Account, security and loyalty events. SFRA's account controllers (or a loyalty integration)
 * call, after the change:
 *
 *     HookMgr.callHook('app.tidings.customer', 'send', 'customer.password_reset', customer.profile,
 *         { c_link: resetUrl });
 *     HookMgr.callHook('app.tidings.customer', 'send', 'customer.address_changed', customer.profile,
 *         { c_change: 'address ' + address.ID });
 *     HookMgr.callHook('app.tidings.customer', 'send', 'loyalty.points_earned', customer.profile,
 *         { c_points: 120, c_pointsBalance: 1460 });
 *
 * Event types: see $defs/event_type in connectors/sfcc/envelope.schema.json.
 */

var webhook = require('../tidings/webhook');
var documents = require('../tidings/documents');

/**
 * @param {string} eventType - e.g. "customer.registered"
 * @param {dw.customer.Profile} profile - whose account it is
 * @param {Object} [extra] - c_* facts about the change
 * @returns {boolean} whether Tidings accepted the event
 */
function send(eventType, profile, extra) {
    return webhook.send(eventType, documents.profileDocument(profile, extra));
}

module.exports = {
    send: send
};
