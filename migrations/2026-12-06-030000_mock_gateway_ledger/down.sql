DROP TABLE mock_gateway_refunds;
DROP TABLE mock_gateway_charges;
