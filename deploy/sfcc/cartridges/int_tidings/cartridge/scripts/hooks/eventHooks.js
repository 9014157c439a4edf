'use strict';

/**
 * Any other event of the envelope, with its document already built by the caller: inventory
 * (product inventory records), price changes, wish-list watches, expiring reservations, Service
 * Cloud cases relayed through B2C Commerce, and operations alerts, e.g.
 *
 *     HookMgr.callHook('app.tidings.event', 'send', 'payment.gateway_error',
 *         { c_gateway: 'adyen', message: result.errorMessage, order_no: order.orderNo });
 *     HookMgr.callHook('app.tidings.event', 'send', 'inventory.changed',
 *         { id: product.ID, ats: record.ATS.value, stock_level: record.stockLevel.value });
 *     HookMgr.callHook('app.tidings.event', 'send', 'review.submitted',
 *         { order_no: order.orderNo, product_id: product.ID, rating: 5, customer_no: customer.profile.customerNo });
 */

var webhook = require('../tidings/webhook');

/**
 * @param {string} eventType - one of the envelope's event types
 * @param {Object} data - the envelope's data
 * @param {string} [eventId] - a stable id when the caller has one
 * @returns {boolean} whether Tidings accepted the event
 */
function send(eventType, data, eventId) {
    return webhook.send(eventType, data, eventId);
}

module.exports = {
    send: send
};
