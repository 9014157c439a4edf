'use strict';

/**
 * Order events for Tidings.
 *
 * OCAPI / SCAPI checkouts reach these through the hooks in hooks.json (dw.ocapi.shop.order.*).
 * SFRA (controller) checkouts and back-office processes call the custom hooks after the change:
 *
 *     HookMgr.callHook('app.tidings.order.created', 'created', order, basketUUID);   // after placeOrder
 *     HookMgr.callHook('app.tidings.order.updated', 'updated', order);               // status, shipping,
 *                                                                                    // c_pickupReady …
 *     HookMgr.callHook('app.tidings.order.refunded', 'refunded', order);             // c_refundStatus set
 *
 * Event ids are derived from the order number and its last modification, so a hook that runs twice
 * for the same change sends the same id and Tidings keeps one.
 */

var Status = require('dw/system/Status');
var webhook = require('../tidings/webhook');
var documents = require('../tidings/documents');
var baskets = require('./basketHooks');

function eventId(eventType, order) {
    var modified = order.lastModified || order.creationDate;
    return [eventType, order.orderNo, modified ? modified.getTime() : ''].join(':');
}

function sendOrder(eventType, order) {
    return webhook.send(eventType, documents.orderDocument(order), eventId(eventType, order));
}

/**
 * An order was placed (SFRA checkout, or any code that creates orders).
 * @param {dw.order.Order} order - the new order
 * @param {string} [basketUUID] - the basket it was created from
 * @returns {boolean} whether Tidings accepted the event
 */
function created(order, basketUUID) {
    var sent = sendOrder('order.created', order);
    if (basketUUID) {
        baskets.converted(basketUUID, order);
    }
    return sent;
}

function updated(order) {
    return sendOrder('order.updated', order);
}

function refunded(order) {
    return sendOrder('order.refunded', order);
}

/** dw.ocapi.shop.order.beforePOST: remember the basket the order is made from. */
function beforePOST(basket) {
    request.custom.tidingsBasketUUID = basket.UUID; // eslint-disable-line no-undef
    return new Status(Status.OK);
}

/** dw.ocapi.shop.order.afterPOST: an OCAPI / SCAPI checkout created the order. */
function afterPOST(order) {
    created(order, request.custom.tidingsBasketUUID); // eslint-disable-line no-undef
    return new Status(Status.OK); // never fail a checkout for a notification
}

/** dw.ocapi.shop.order.afterPATCH: the order changed through OCAPI (e.g. its status). */
function afterPATCH(order) {
    updated(order);
    return new Status(Status.OK);
}

module.exports = {
    created: created,
    updated: updated,
    refunded: refunded,
    beforePOST: beforePOST,
    afterPOST: afterPOST,
    afterPATCH: afterPATCH
};
