'use strict';

/**
 * Basket activity for abandoned-basket messages.
 *
 * B2C Commerce cannot list baskets from a job, so basket activity is recorded as it happens: each
 * change upserts a TidingsBasket custom object (the basket's document and the time of the change),
 * the job in ../jobs/abandonedBaskets.js sends basket.abandoned for the ones idle long enough, and a
 * basket that becomes an order has its object removed and basket.converted sent.
 *
 * OCAPI / SCAPI baskets reach track() through dw.ocapi.shop.basket.afterPATCH and
 * dw.ocapi.shop.basket.items.afterPOST; SFRA controllers call, after a cart change:
 *
 *     HookMgr.callHook('app.tidings.basket.track', 'track', BasketMgr.getCurrentBasket());
 */

var CustomObjectMgr = require('dw/object/CustomObjectMgr');
var Transaction = require('dw/system/Transaction');
var Status = require('dw/system/Status');
var Logger = require('dw/system/Logger');
var webhook = require('../tidings/webhook');
var documents = require('../tidings/documents');

var TYPE = 'TidingsBasket';
var log = Logger.getLogger('tidings', 'tidings');

/**
 * Record the basket's current state (guests without an email are not worth a reminder).
 * @param {dw.order.Basket} basket - the shopper's basket
 */
function track(basket) {
    if (!basket || !basket.customerEmail && !basket.customerNo) {
        return;
    }
    try {
        var payload = JSON.stringify(documents.basketDocument(basket));
        Transaction.wrap(function () {
            var object = CustomObjectMgr.getCustomObject(TYPE, basket.UUID) ||
                CustomObjectMgr.createCustomObject(TYPE, basket.UUID);
            object.custom.payload = payload;
            object.custom.lastActivity = new Date();
            object.custom.notified = false;
        });
    } catch (e) {
        log.error('Tidings: basket {0} not tracked: {1}', basket.UUID, e.message);
    }
}

/**
 * The basket became an order: no reminder for it, and any running reminder journey ends.
 * @param {string} basketUUID - the basket
 * @param {dw.order.Order} order - the order it became
 */
function converted(basketUUID, order) {
    var object = CustomObjectMgr.getCustomObject(TYPE, basketUUID);
    if (object) {
        Transaction.wrap(function () {
            CustomObjectMgr.remove(object);
        });
    }
    webhook.send('basket.converted', {
        basket_id: basketUUID,
        order_no: order.orderNo,
        currency: order.currencyCode
    }, 'basket.converted:' + basketUUID);
}

/** dw.ocapi.shop.basket.afterPATCH */
function afterPATCH(basket) {
    track(basket);
    return new Status(Status.OK);
}

/** dw.ocapi.shop.basket.items.afterPOST */
function afterPOST(basket) {
    track(basket);
    return new Status(Status.OK);
}

module.exports = {
    TYPE: TYPE,
    track: track,
    converted: converted,
    afterPATCH: afterPATCH,
    afterPOST: afterPOST
};
